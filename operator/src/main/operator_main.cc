// corral-operator: reconciles Ensembles (ensembles.corral.dev) into StatefulSets, Services, a
// ConfigMap and a PodDisruptionBudget. Flags: manifests/README.md.
#include <cpprest/json.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
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

struct Queue {
  std::map<Key, Clock::time_point> due;
  std::map<Key, int> failures;  // in a row, for the backoff after errors
  std::map<Key, int> waits;     // requeues in a row without an event on the object
};

// Reconciles `key` and schedules its next pass: while the plan waits for the world, after 5 s
// doubling to 60 s until an event on the Ensemble arrives (only Ensembles are watched so far,
// so pods and StatefulSets are polled this way); with exponential backoff (0.5 s doubling to
// 5 min) after a failure; otherwise at the next resync.
void ReconcileOne(corral::kube::Reconciler* rec, const Key& key, Queue* q, bool from_event) {
  auto* due = &q->due;
  auto* failures = &q->failures;
  if (from_event) q->waits.erase(key);
  const auto start = Clock::now();
  corral::kube::ReconcileResult r = rec->Reconcile(key.first, key.second);
  g_stats.Beat();
  ++g_stats.reconciles;
  if (!r.status.ok()) ++g_stats.reconcile_errors;
  CORRAL_LOG(kDebug)
      << "reconciled " << key.first << "/" << key.second << " in "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
      << " ms" << (r.requeue ? " (requeue)" : "");
  if (r.gone) {
    due->erase(key);
    failures->erase(key);
    q->waits.erase(key);
    return;
  }
  if (!r.status.ok()) {
    int n = ++(*failures)[key];
    auto delay = std::chrono::milliseconds(std::min<int64_t>(500LL << std::min(n, 10), 300000));
    CORRAL_LOG(kWarn) << "reconcile " << key.first << "/" << key.second << " failed (" << n
                      << " in a row): " << r.status.ToString();
    (*due)[key] = Clock::now() + delay;
    return;
  }
  failures->erase(key);
  if (r.requeue) {
    const int n = q->waits[key]++;
    (*due)[key] = Clock::now() + std::chrono::seconds(std::min(5 << std::min(n, 4), 60));
  } else {
    due->erase(key);
    q->waits.erase(key);
  }
}

Key KeyOf(const web::json::value& obj) {
  const auto& meta = obj.at("metadata");
  return {meta.at("namespace").as_string(), meta.at("name").as_string()};
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

  Queue queue;
  auto& due = queue.due;
  int list_failures = 0;
  for (;;) {
    // List, reconcile everything, then watch from the list's resourceVersion; relist on 410,
    // on a broken watch, and every resync period.
    corral::kube::Result list = api->List(corral::kube::kEnsembles, flags.ns, {});
    web::json::value items;
    std::string rv;
    try {
      if (list.ok()) {
        web::json::value v = web::json::value::parse(list.body);
        rv = v.at("metadata").at("resourceVersion").as_string();
        items = v.at("items");
      }
    } catch (const std::exception& e) {
      list.status = corral::Status::Corruption(std::string("list: ") + e.what());
    }
    if (!list.ok() || rv.empty()) {
      ++list_failures;
      CORRAL_LOG(kWarn) << "listing Ensembles: " << list.status.ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(500LL << std::min(list_failures, 10), 60000)));
      continue;
    }
    list_failures = 0;
    ++g_stats.relists;
    g_stats.ensembles = static_cast<int64_t>(items.size());
    g_stats.synced = true;
    g_stats.Beat();
    for (size_t i = 0; i < items.size(); ++i) {
      ReconcileOne(&rec, KeyOf(items.at(i)), &queue, true);
    }
    const auto resync_at = Clock::now() + std::chrono::minutes(5);
    bool relist = false;
    while (!relist && Clock::now() < resync_at) {
      auto next = resync_at;
      for (const auto& [key, at] : due) next = std::min(next, at);
      int timeout = static_cast<int>(
          std::chrono::duration_cast<std::chrono::seconds>(next - Clock::now()).count());
      corral::kube::ListOptions watch;
      watch.resource_version = rv;
      watch.timeout_seconds = std::clamp(timeout, 1, 300);
      corral::kube::Result w = api->Watch(
          corral::kube::kEnsembles, flags.ns, watch, [&](const corral::kube::WatchEvent& ev) {
            ++g_stats.watch_events;
            g_stats.Beat();
            try {
              web::json::value obj = web::json::value::parse(ev.object);
              if (ev.type == "ERROR") {
                relist = true;  // 410 Gone (compacted) or another error: start over
                return false;
              }
              rv = obj.at("metadata").at("resourceVersion").as_string();
              if (ev.type == "BOOKMARK") return true;
              const Key key = KeyOf(obj);
              if (ev.type == "DELETED") {
                due.erase(key);
                return true;
              }
              ReconcileOne(&rec, key, &queue, true);
            } catch (const std::exception& e) {
              CORRAL_LOG(kWarn) << "watch event: " << e.what();
            }
            // Stop the stream when a requeue falls due, so it is not late.
            for (const auto& [key, at] : due) {
              if (at <= Clock::now()) return false;
            }
            return true;
          });
      if (!w.ok()) {
        CORRAL_LOG(kWarn) << "watching Ensembles: " << w.status.ToString();
        relist = true;
      }
      std::vector<Key> ready;
      for (const auto& [key, at] : due) {
        if (at <= Clock::now()) ready.push_back(key);
      }
      for (const Key& key : ready) ReconcileOne(&rec, key, &queue, false);
    }
  }
}
