#pragma once
// Where the API server is and how to authenticate to it: from a kubeconfig file (outside a
// cluster) or from the pod's ServiceAccount (in-cluster config).
#include <string>

#include "base/status.h"

namespace corral::kube {

struct ClusterConfig {
  std::string server;  // https://host:port
  std::string ca_pem;  // PEM of the CA that signs the server's certificate; empty: system CAs
  bool insecure_skip_tls_verify = false;
  std::string token;  // bearer token, or empty
  // Where `token` was read from (in-cluster, or a kubeconfig's tokenFile), or empty: the client
  // re-reads it while it runs (kube/token_source.h), since the kubelet rotates it.
  std::string token_file;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string ns;  // the context's namespace (kubeconfig) or the pod's (in-cluster)
};

// The current context of the kubeconfig at `path` (token or tokenFile, client certificate and
// key as files or -data, certificate-authority as a file or -data).
StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path);

// KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/. `root`
// prefixes the secret directory (tests).
StatusOr<ClusterConfig> LoadInCluster(const std::string& root = "");

}  // namespace corral::kube
