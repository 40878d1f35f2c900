#include "kube/config.h"

#include <cpprest/asyncrt_utils.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "kube/token_source.h"

namespace corral::kube {
namespace {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Str(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

// A PEM given either inline (`<key>-data`, base64) or as a file path (`<key>`, relative to the
// kubeconfig's directory).
Status Pem(const YAML::Node& node, const std::string& key, const std::string& dir,
           std::string* out) {
  std::string data = Str(node, (key + "-data").c_str());
  if (!data.empty()) {
    try {
      std::vector<unsigned char> bytes = utility::conversions::from_base64(data);
      out->assign(bytes.begin(), bytes.end());
    } catch (const std::exception& e) {
      return Status::InvalidArgument(key + "-data is not base64: " + e.what());
    }
    return Status::Ok();
  }
  std::string path = Str(node, key.c_str());
  if (path.empty()) return Status::Ok();
  if (path[0] != '/') path = dir + "/" + path;
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  *out = std::move(text.value());
  return Status::Ok();
}

YAML::Node Named(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const YAML::Node& item : list) {
    if (Str(item, "name") == name) return item[field];
  }
  return YAML::Node();
}

}  // namespace

StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  try {
    YAML::Node root = YAML::Load(text.value());
    std::string context_name = Str(root, "current-context");
    YAML::Node context = Named(root["contexts"], context_name, "context");
    if (!context) return Status::InvalidArgument(path + ": no context '" + context_name + "'");
    YAML::Node cluster = Named(root["clusters"], Str(context, "cluster"), "cluster");
    if (!cluster) return Status::InvalidArgument(path + ": no cluster for " + context_name);
    YAML::Node user = Named(root["users"], Str(context, "user"), "user");

    ClusterConfig c;
    c.server = Str(cluster, "server");
    if (c.server.empty()) return Status::InvalidArgument(path + ": the cluster has no server");
    c.insecure_skip_tls_verify = Str(cluster, "insecure-skip-tls-verify") == "true";
    CORRAL_RETURN_IF_ERROR(Pem(cluster, "certificate-authority", dir, &c.ca_pem));
    c.ns = Str(context, "namespace");
    if (c.ns.empty()) c.ns = "default";
    if (user) {
      c.token = Str(user, "token");
      std::string token_file = Str(user, "tokenFile");
      if (c.token.empty() && !token_file.empty()) {
        StatusOr<std::string> token = ReadFile(token_file);
        if (!token.ok()) return token.status();
        c.token = token.value();
        c.token_file = token_file;
      }
      CORRAL_RETURN_IF_ERROR(Pem(user, "client-certificate", dir, &c.client_cert_pem));
      CORRAL_RETURN_IF_ERROR(Pem(user, "client-key", dir, &c.client_key_pem));
    }
    c.token = TrimToken(std::move(c.token));
    return c;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
}

StatusOr<ClusterConfig> LoadInCluster(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return Status::FailedPrecondition(
        "not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig");
  }
  const std::string dir = root + "/var/run/secrets/kubernetes.io/serviceaccount/";
  ClusterConfig c;
  std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  StatusOr<std::string> token = ReadFile(dir + "token");
  if (!token.ok()) return token.status();
  c.token = TrimToken(token.value());
  c.token_file = dir + "token";
  StatusOr<std::string> ca = ReadFile(dir + "ca.crt");
  if (!ca.ok()) return ca.status();
  c.ca_pem = ca.value();
  StatusOr<std::string> ns = ReadFile(dir + "namespace");
  c.ns = ns.ok() ? ns.value() : "default";
  return c;
}

}  // namespace corral::kube
