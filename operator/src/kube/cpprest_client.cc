#include "kube/cpprest_client.h"

#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <string>

#include "kube/token_source.h"

namespace corral::kube {
namespace {

using web::http::client::http_client;
using web::http::client::http_client_config;

class CppRestClient : public ApiClient {
 public:
  CppRestClient(const ClusterConfig& config, int timeout_seconds)
      : config_(config),
        timeout_seconds_(timeout_seconds),
        token_(config.token, config.token_file),
        client_(config.server, ClientConfig(timeout_seconds)) {}

  Result Get(const Resource& r, const std::string& ns, const std::string& name) override {
    return Send(web::http::methods::GET, ResourcePath(r, ns, name), "", "");
  }

  Result List(const Resource& r, const std::string& ns, const ListOptions& o) override {
    return Send(web::http::methods::GET, ResourcePath(r, ns) + Query(o, false), "", "");
  }

  Result Create(const Resource& r, const std::string& ns, const std::string& body) override {
    return Send(web::http::methods::POST, ResourcePath(r, ns), body, "application/json");
  }

  Result Apply(const Resource& r, const std::string& ns, const std::string& name,
               const std::string& body, const std::string& field_manager, bool force,
               const std::string& subresource) override {
    std::string path = ResourcePath(r, ns, name, subresource) +
                       "?fieldManager=" + web::uri::encode_data_string(field_manager) +
                       (force ? "&force=true" : "");
    return Send(web::http::methods::PATCH, path, body, "application/apply-patch+yaml");
  }

  Result Replace(const Resource& r, const std::string& ns, const std::string& name,
                 const std::string& body) override {
    return Send(web::http::methods::PUT, ResourcePath(r, ns, name), body, "application/json");
  }

  Result MergePatch(const Resource& r, const std::string& ns, const std::string& name,
                    const std::string& body) override {
    return Send(web::http::methods::PATCH, ResourcePath(r, ns, name), body,
                "application/merge-patch+json");
  }

  Result UpdateStatus(const Resource& r, const std::string& ns, const std::string& name,
                      const std::string& body) override {
    return Send(web::http::methods::PUT, ResourcePath(r, ns, name, "status"), body,
                "application/json");
  }

  Result Delete(const Resource& r, const std::string& ns, const std::string& name,
                const std::string& uid) override {
    std::string body;
    if (!uid.empty()) {
      body =
          R"({"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":")" + uid + R"("}})";
    }
    return Send(web::http::methods::DEL, ResourcePath(r, ns, name), body,
                body.empty() ? "" : "application/json");
  }

  Result Watch(const Resource& r, const std::string& ns, const ListOptions& o,
               const std::function<bool(const WatchEvent&)>& on_event) override {
    const std::string path = ResourcePath(r, ns) + Query(o, true);
    Result result;
    try {
      http_client client(config_.server, ClientConfig(o.timeout_seconds + 30));
      web::http::http_response response =
          client.request(Request(web::http::methods::GET, path, "", "")).get();
      // A rotated token: read the file again and open the stream once more.
      if (response.status_code() == web::http::status_codes::Unauthorized && token_.Refresh()) {
        response = client.request(Request(web::http::methods::GET, path, "", "")).get();
      }
      result.http_code = response.status_code();
      if (result.http_code != 200) {
        result.body = response.extract_string(true).get();
        result.status = StatusForHttp(result.http_code, "watch " + path, result.body);
        return result;
      }
      // One JSON object per line: {"type": ..., "object": {...}}.
      concurrency::streams::istream body = response.body();
      for (;;) {
        concurrency::streams::container_buffer<std::string> line;
        size_t n = body.read_line(line).get();
        if (n == 0 && body.is_eof()) break;
        if (line.collection().empty()) continue;
        web::json::value event = web::json::value::parse(line.collection());
        WatchEvent e;
        e.type = event.at("type").as_string();
        e.object = event.at("object").serialize();
        if (!on_event(e)) break;
      }
      result.status = Status::Ok();
    } catch (const std::exception& e) {
      result.status = Status::IoError("watch " + path + ": " + e.what());
    }
    return result;
  }

 private:
  static std::string Query(const ListOptions& o, bool watch) {
    std::string q;
    auto add = [&q](const std::string& key, const std::string& value) {
      q += (q.empty() ? "?" : "&") + key + "=" + web::uri::encode_data_string(value);
    };
    if (!o.label_selector.empty()) add("labelSelector", o.label_selector);
    if (!o.field_selector.empty()) add("fieldSelector", o.field_selector);
    if (watch) {
      add("watch", "true");
      add("allowWatchBookmarks", "true");
      if (!o.resource_version.empty()) add("resourceVersion", o.resource_version);
      if (o.timeout_seconds > 0) add("timeoutSeconds", std::to_string(o.timeout_seconds));
    }
    return q;
  }

  http_client_config ClientConfig(int timeout_seconds) const {
    http_client_config c;
    c.set_timeout(std::chrono::seconds(timeout_seconds));
    c.set_validate_certificates(!config_.insecure_skip_tls_verify);
    ClusterConfig cluster = config_;
    c.set_ssl_context_callback([cluster](boost::asio::ssl::context& ctx) {
      if (!cluster.ca_pem.empty()) {
        ctx.add_certificate_authority(
            boost::asio::buffer(cluster.ca_pem.data(), cluster.ca_pem.size()));
      }
      if (!cluster.client_cert_pem.empty() && !cluster.client_key_pem.empty()) {
        ctx.use_certificate_chain(
            boost::asio::buffer(cluster.client_cert_pem.data(), cluster.client_cert_pem.size()));
        ctx.use_private_key(
            boost::asio::buffer(cluster.client_key_pem.data(), cluster.client_key_pem.size()),
            boost::asio::ssl::context::pem);
      }
    });
    return c;
  }

  web::http::http_request Request(const web::http::method& method, const std::string& path,
                                  const std::string& body, const std::string& content_type) {
    web::http::http_request request(method);
    request.set_request_uri(path);
    request.headers().add("Accept", "application/json");
    request.headers().add("User-Agent", "corral-operator");
    if (const std::string token = token_.Get(); !token.empty()) {
      request.headers().add("Authorization", "Bearer " + token);
    }
    if (!body.empty()) request.set_body(body, content_type);
    return request;
  }

  Result Send(const web::http::method& method, const std::string& path, const std::string& body,
              const std::string& content_type) {
    Result result;
    const std::string what = method + " " + path;
    try {
      // One client, so its connections (and TLS sessions) are kept and reused.
      web::http::http_response response =
          client_.request(Request(method, path, body, content_type)).get();
      // 401: the token may have been rotated (and the old one expired) since it was last
      // read. Read it again now and, if it changed, send the request once more.
      if (response.status_code() == web::http::status_codes::Unauthorized && token_.Refresh()) {
        response = client_.request(Request(method, path, body, content_type)).get();
      }
      result.http_code = response.status_code();
      result.body = response.extract_string(true).get();
    } catch (const std::exception& e) {
      result.status = Status::IoError(what + ": " + e.what());
      return result;
    }
    result.status = StatusForHttp(result.http_code, what, result.body);
    return result;
  }

  const ClusterConfig config_;
  const int timeout_seconds_;
  TokenSource token_;
  http_client client_;
};

}  // namespace

std::unique_ptr<ApiClient> NewCppRestClient(const ClusterConfig& config,
                                            int request_timeout_seconds) {
  return std::make_unique<CppRestClient>(config, request_timeout_seconds);
}

}  // namespace corral::kube
