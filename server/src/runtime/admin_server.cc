#include "runtime/admin_server.h"

#include <sys/stat.h>

#include "base/log.h"
#include "env/file_system.h"
#include "runtime/admin_routes.h"
#include "runtime/metrics_exposition.h"
#include "storage/file_names.h"
#include "storage/snapshot.h"

namespace corral {

namespace asio = boost::asio;

namespace {
HttpResponse TextResponse(int status, const char* content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.body = std::move(body);
  return r;
}
}  // namespace

HttpResponse ToHttpResponse(const AdminResponse& response) {
  HttpResponse http;
  http.status = response.http_status;
  http.content_type = "application/json";
  http.body = response.body.Render() + "\n";
  http.headers = response.headers;
  return http;
}

AdminServer::AdminServer(const Config& config, asio::io_context& core, Node* node,
                         ServerMetrics* metrics, TakeSnapshot take_snapshot)
    : config_(config),
      core_(core),
      node_(node),
      metrics_registry_(metrics),
      take_snapshot_(std::move(take_snapshot)) {}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Listen() {
  if (config_.admin_enable_server) {
    admin_ = std::make_unique<HttpServer>(http_io_, "admin",
                                          [this](HttpRequest r, HttpServer::Respond done) {
                                            HandleAdmin(std::move(r), std::move(done));
                                          });
    Status s = admin_->Listen(config_.admin_server_address, config_.admin_server_port);
    if (!s.ok()) return Status(s.code(), "admin.serverPort: " + s.message());
  }
  if (config_.metrics_enabled) {
    metrics_ = std::make_unique<HttpServer>(http_io_, "metrics",
                                            [this](HttpRequest r, HttpServer::Respond done) {
                                              HandleMetrics(std::move(r), std::move(done));
                                            });
    Status s = metrics_->Listen(config_.metrics_http_host, config_.metrics_http_port);
    if (!s.ok()) return Status(s.code(), "metricsProvider.httpPort: " + s.message());
  }
  return Status::Ok();
}

void AdminServer::Start() {
  if (!admin_ && !metrics_) return;
  if (admin_) {
    admin_->Start();
    CORRAL_LOG(kInfo) << "admin API on http://" << config_.admin_server_address << ":"
                      << admin_->port() << config_.admin_command_url;
  }
  if (metrics_) {
    metrics_->Start();
    CORRAL_LOG(kInfo) << "Prometheus metrics on http://" << config_.metrics_http_host << ":"
                      << metrics_->port() << "/metrics";
  }
  thread_ = std::thread([this] { http_io_.run(); });
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  // The listeners and connections belong to the HTTP thread: it closes them, then returns.
  asio::post(http_io_, [this] {
    if (admin_) admin_->Stop();
    if (metrics_) metrics_->Stop();
    http_io_.stop();
  });
  thread_.join();
}

void AdminServer::HandleAdmin(HttpRequest request, HttpServer::Respond respond) {
  if (request.method != "GET" && request.method != "POST") {
    respond(TextResponse(405, "text/plain", "method not allowed\n"));
    return;
  }
  AdminRoute route = RouteAdminTarget(request.target, config_.admin_command_url);
  if (route.kind == AdminRoute::Kind::kNotFound) {
    respond(TextResponse(
        404, "text/plain",
        "not found; the admin commands are listed at " + config_.admin_command_url + "\n"));
    return;
  }
  if (route.kind == AdminRoute::Kind::kCommandList) {
    respond(TextResponse(200, "text/html", CommandListHtml(config_.admin_command_url)));
    return;
  }
  AdminRequest admin;
  admin.command = FindAdminCommand(route.command);
  if (admin.command == nullptr) {
    // ZooKeeper answers an unknown command with 200 and the error in the JSON.
    respond(ToHttpResponse(AdminResponseFor(route.command, "Unknown command: " + route.command)));
    return;
  }
  admin.params = std::move(route.params);
  admin.authorization = std::move(request.authorization);
  admin.remote_ip = std::move(request.remote_ip);
  if (admin.command->name == "last_snapshot") {
    respond(ToHttpResponse(LastSnapshot()));  // from the files: no need for the core
    return;
  }
  asio::post(core_, [this, admin = std::move(admin), respond = std::move(respond)]() mutable {
    if (admin.command->name == "snapshot") {
      RunSnapshot(std::move(admin), std::move(respond));
    } else {
      RunCommand(std::move(admin), std::move(respond));
    }
  });
}

void AdminServer::RunCommand(AdminRequest request, HttpServer::Respond respond) {
  AdminResponse response = node_->RunAdminCommand(request);
  // The JSON text is written on the HTTP thread; the core only built the value.
  asio::post(http_io_, [response = std::move(response), respond = std::move(respond)] {
    respond(ToHttpResponse(response));
  });
}

void AdminServer::RunSnapshot(AdminRequest request, HttpServer::Respond respond) {
  if (auto refused = node_->AdminRefusal(request)) {
    respond(ToHttpResponse(*refused));
    return;
  }
  // ZooKeeper 3.9 streams the snapshot unless ?streaming=false.
  auto it = request.params.find("streaming");
  bool streaming = it == request.params.end() || it->second != "false";
  take_snapshot_(
      [streaming, respond = std::move(respond)](Status status, int64_t zxid, std::string path) {
        if (!status.ok()) {
          respond(ToHttpResponse(
              AdminResponseFor("snapshot", status.message(),
                               status.code() == Status::Code::kFailedPrecondition ? 429 : 500)));
          return;
        }
        struct stat st {};
        int64_t size = ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
        AdminResponse done = AdminResponseFor("snapshot");
        done.headers["last_zxid"] = storage::ZxidString(zxid);
        done.headers["snapshot_size"] = std::to_string(size);
        HttpResponse http = ToHttpResponse(done);
        if (streaming) {
          http.content_type = "application/octet-stream";
          http.file_path = path;
        }
        respond(std::move(http));
      });
}

AdminResponse AdminServer::LastSnapshot() const {
  AdminResponse r = AdminResponseFor("last_snapshot");
  auto snapshots = storage::ListSnapshots(env::PosixFileSystem(), config_.data_dir);
  int64_t zxid = -1;
  int64_t timestamp = -1;
  if (snapshots.ok() && !snapshots->empty()) {
    const auto& newest = snapshots->front();  // newest first
    zxid = newest.zxid;
    struct stat st {};
    if (::stat(newest.path.c_str(), &st) == 0) timestamp = st.st_mtime;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(zxid));
  r.body.Set("zxid", hex).Set("timestamp", timestamp);
  return r;
}

void AdminServer::HandleMetrics(HttpRequest request, HttpServer::Respond respond) {
  if (!IsMetricsTarget(request.target)) {
    respond(TextResponse(404, "text/plain", "not found; metrics are at /metrics\n"));
    return;
  }
  asio::post(core_, [this, respond = std::move(respond)]() mutable {
    MonitorValues values = node_->Monitor();
    asio::post(http_io_, [this, values = std::move(values), respond = std::move(respond)] {
      respond(TextResponse(200, kMetricsContentType,
                           MetricsText(values, metrics_registry_->Collect())));
    });
  });
}

}  // namespace corral
