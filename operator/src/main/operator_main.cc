// corral-operator: reconciles Ensembles (ensembles.corral.dev) into StatefulSets, Services, a
// ConfigMap and a PodDisruptionBudget. Flags: manifests/README.md.
#include <cpprest/json.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/log.h"
#include "kube/config.h"
#include "kube/cpprest_client.h"
#include "kube/leader_election.h"
#include "kube/members.h"
#include "kube/reconciler.h"
#include "ops/endpoints.h"

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

using Clock = std::chrono::steady_clock;

corral::op::OperatorMetrics g_stats;
using Key = std::pair<std::string, std::string>;  // namespace, name

// Ensembles to reconcile, each at a time: now for a watch event, later for a plan that waits
// or a failure's backoff. Watch threads add; the main thread takes one at a time, so reconciles
// of one Ensemble never overlap.
class WorkQueue {
 public:
  void Add(const Key& key, Clock::time_point at = Clock::now()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = due_.find(key);
    if (it == due_.end() || at < it->second) due_[key] = at;
    cv_.notify_one();
  }
  Key Next() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (due_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = due_.begin();
      for (auto it = due_.begin(); it != due_.end(); ++it) {
        if (it->second < first->second) first = it;
      }
      if (first->second <= Clock::now()) {
        Key key = first->first;
        due_.erase(first);
        return key;
      }
      cv_.wait_until(lock, first->second);
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, Clock::time_point> due_;
};

// Lists `resource` and watches it from the list's resourceVersion, adding the Ensemble each
// object belongs to (`key_of`) to the queue; relists on an ERROR event (410 Gone), a broken
// stream, and when the server ends a watch (5 min). Failures back off 0.5 s doubling to 60 s.
void WatchLoop(corral::kube::ApiClient* api, const corral::kube::Resource& resource,
               const std::string& ns, const std::string& selector,
               const std::function<std::optional<Key>(const web::json::value&)>& key_of,
               WorkQueue* queue, bool first_sync) {
  int failures = 0;
  for (;;) {
    corral::kube::ListOptions options;
    options.label_selector = selector;
    corral::kube::Result list = api->List(resource, ns, options);
    std::string rv;
    try {
      if (list.ok()) {
        web::json::value v = web::json::value::parse(list.body);
        rv = v.at("metadata").at("resourceVersion").as_string();
        const web::json::value& items = v.at("items");
        for (size_t i = 0; i < items.size(); ++i) {
          if (auto key = key_of(items.at(i))) queue->Add(*key);
        }
        if (first_sync) {
          g_stats.ensembles = static_cast<int64_t>(items.size());
          g_stats.synced = true;
        }
      }
    } catch (const std::exception& e) {
      list.status = corral::Status::Corruption(std::string("list: ") + e.what());
    }
    ++g_stats.relists;
    g_stats.Beat();
    if (!list.ok() || rv.empty()) {
      ++failures;
      CORRAL_LOG(kWarn) << "listing " << resource.plural << ": " << list.status.ToString();
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min<int64_t>(500LL << std::min(failures, 7), 60000)));
      continue;
    }
    failures = 0;
    for (;;) {
      options.resource_version = rv;
      options.timeout_seconds = 300;
      bool relist = false;
      corral::kube::Result w =
          api->Watch(resource, ns, options, [&](const corral::kube::WatchEvent& ev) {
            ++g_stats.watch_events;
            g_stats.Beat();
            try {
              web::json::value obj = web::json::value::parse(ev.object);
              if (ev.type == "ERROR") {
                relist = true;
                return false;
              }
              rv = obj.at("metadata").at("resourceVersion").as_string();
              if (ev.type == "BOOKMARK") return true;
              if (auto key = key_of(obj)) queue->Add(*key);
            } catch (const std::exception& e) {
              CORRAL_LOG(kWarn) << "watch event on " << resource.plural << ": " << e.what();
            }
            return true;
          });
      g_stats.Beat();
      if (relist || !w.ok()) {
        if (!w.ok()) {
          CORRAL_LOG(kWarn) << "watching " << resource.plural << ": " << w.status.ToString();
        }
        break;
      }
      // The server ended the watch (timeoutSeconds): continue from the last version seen.
    }
  }
}

std::optional<Key> EnsembleKey(const web::json::value& obj) {
  const auto& meta = obj.at("metadata");
  return Key{meta.at("namespace").as_string(), meta.at("name").as_string()};
}

// A StatefulSet or pod the operator made: its Ensemble is named by the instance label.
std::optional<Key> ChildKey(const web::json::value& obj) {
  const auto& meta = obj.at("metadata");
  if (!meta.has_field("labels") || !meta.at("labels").has_field("app.kubernetes.io/instance")) {
    return std::nullopt;
  }
  return Key{meta.at("namespace").as_string(),
             meta.at("labels").at("app.kubernetes.io/instance").as_string()};
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  corral::LogLevel level;
  if (corral::ParseLogLevel(flags.log_level, &level)) corral::SetLogLevel(level);
  corral::StatusOr<corral::kube::ClusterConfig> config =
      flags.kubeconfig.empty() ? corral::kube::LoadInCluster()
                               : corral::kube::LoadKubeconfig(flags.kubeconfig);
  if (!config.ok()) {
    std::fprintf(stderr, "corral-operator: %s\n", config.status().ToString().c_str());
    return 1;
  }
  // /healthz fails when the loop has not moved for longer than the longest watch (5 min).
  corral::op::Endpoints endpoints(&g_stats, std::chrono::minutes(10));
  g_stats.Beat();
  if (corral::Status st = endpoints.Start(flags.health_address, flags.metrics_address); !st.ok()) {
    std::fprintf(stderr, "corral-operator: %s\n", st.ToString().c_str());
    return 1;
  }
  CORRAL_LOG(kInfo) << "corral-operator: health on port " << endpoints.health_port()
                    << ", metrics on port " << endpoints.metrics_port();
  if (flags.leader_elect) {
    // Only the Lease holder reconciles. A candidate waiting for it is ready (it can take over at
    // once) and alive. The holder renews every 2 s on a thread of its own (and its own client);
    // if it cannot renew for 10 s (the Lease lasts 15) it exits rather than risk two operators
    // acting at once, and the Deployment restarts it as a candidate.
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    std::string lease_ns = !flags.leader_election_namespace.empty()
                               ? flags.leader_election_namespace
                           : pod_ns != nullptr ? pod_ns
                                               : config.value().ns;
    const char* host = std::getenv("HOSTNAME");
    std::string identity =
        std::string(host != nullptr ? host : "corral-operator") + "_" + std::to_string(getpid());
    static std::unique_ptr<corral::kube::ApiClient> lease_api =
        corral::kube::NewCppRestClient(config.value(), 5);
    static corral::kube::LeaderElector elector(lease_api.get(), lease_ns, flags.leader_election_id,
                                               identity, 15, corral::kube::NowMicroTime);
    g_stats.synced = true;
    bool said = false;
    while (!elector.TryAcquireOrRenew()) {
      if (!said) {
        CORRAL_LOG(kInfo) << "waiting for Lease " << lease_ns << "/" << flags.leader_election_id
                          << " (held by " << elector.observed_holder() << ")";
        said = true;
      }
      g_stats.Beat();
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    CORRAL_LOG(kInfo) << "leading as " << identity << " (Lease " << lease_ns << "/"
                      << flags.leader_election_id << ")";
    g_stats.synced = false;
    std::thread([] {
      auto renewed = Clock::now();
      for (;;) {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        if (elector.TryAcquireOrRenew()) {
          renewed = Clock::now();
        } else if (Clock::now() - renewed > std::chrono::seconds(10)) {
          CORRAL_LOG(kError) << "lost the Lease (last renewed over 10 s ago): exiting";
          std::_Exit(1);
        }
      }
    }).detach();
  }
  auto api = corral::kube::NewCppRestClient(config.value());
  auto agent = corral::kube::NewHttpMemberAgent();
  corral::kube::Reconciler rec(api.get(), agent.get(), corral::kube::NowRfc3339);
  CORRAL_LOG(kInfo) << "corral-operator: watching Ensembles in "
                    << (flags.ns.empty() ? std::string("all namespaces") : flags.ns) << " at "
                    << config.value().server;

  WorkQueue queue;
  // Own clients for the watch threads: a watch holds its connection for minutes.
  auto watch_api = corral::kube::NewCppRestClient(config.value());
  const std::string children = "app.kubernetes.io/managed-by=corral-operator";
  std::thread([&] {
    WatchLoop(watch_api.get(), corral::kube::kEnsembles, flags.ns, "", EnsembleKey, &queue, true);
  }).detach();
  std::thread([&] {
    WatchLoop(watch_api.get(), corral::kube::kStatefulSets, flags.ns, children, ChildKey, &queue,
              false);
  }).detach();
  std::thread([&] {
    WatchLoop(watch_api.get(), corral::kube::kPods, flags.ns, children, ChildKey, &queue, false);
  }).detach();

  // Reconcile one Ensemble at a time. A plan that waits for the world is looked at again after
  // 10 s if no event comes first; a failure backs off 0.5 s doubling to 5 min.
  std::map<Key, int> failures;
  for (;;) {
    const Key key = queue.Next();
    const auto start = Clock::now();
    corral::kube::ReconcileResult r = rec.Reconcile(key.first, key.second);
    g_stats.Beat();
    ++g_stats.reconciles;
    CORRAL_LOG(kDebug)
        << "reconciled " << key.first << "/" << key.second << " in "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
        << " ms" << (r.requeue ? " (requeue)" : "");
    if (r.gone) {
      failures.erase(key);
    } else if (!r.status.ok()) {
      ++g_stats.reconcile_errors;
      const int n = ++failures[key];
      CORRAL_LOG(kWarn) << "reconcile " << key.first << "/" << key.second << " failed (" << n
                        << " in a row): " << r.status.ToString();
      queue.Add(key, Clock::now() + std::chrono::milliseconds(
                                        std::min<int64_t>(500LL << std::min(n, 10), 300000)));
    } else {
      failures.erase(key);
      if (r.requeue) queue.Add(key, Clock::now() + std::chrono::seconds(10));
    }
  }
}
