#pragma once
// ServerMetrics: the metrics of events, kept in a prometheus-cpp registry under ZooKeeper's
// names (ServerMetrics.java) so ZooKeeper dashboards read them: latency summaries with
// quantiles, fsync, snapshot and election times, and counters. The gauges (znode_count and the
// rest of mntr) are not here: they are sampled from the node at each scrape
// (runtime/metrics_exposition.h). Also the node's NodeMetrics, which gives mntr and the admin
// monitor command the same figures in the form of ZooKeeper's default provider.
//
// Thread-safety: every method may be called from any thread (the core, the disk threads and
// the HTTP thread at once): prometheus-cpp metrics lock internally, the mntr figures are atomics.
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "node/monitor_values.h"
#include "runtime/process_metrics.h"
#include "runtime/window_quantiles.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace corral {

// A ZooKeeper summary: quantiles over a sliding window (a Prometheus summary family) plus the
// count, sum, min and max mntr shows.
class ZkSummary {
 public:
  ZkSummary(const std::string& name, bool advanced);
  void Observe(int64_t value);
  // avg_<name>, min_<name>, max_<name>, cnt_<name>, sum_<name>.
  void AddMonitorValues(MonitorValues* out) const;
  // The Prometheus summary: windowed quantiles, count and sum since the start.
  prometheus::MetricFamily Family() const;

 private:
  std::string name_;
  std::vector<double> quantiles_;
  WindowQuantiles window_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_{0};
  std::atomic<int64_t> min_{INT64_MAX};
  std::atomic<int64_t> max_{INT64_MIN};
};

class ServerMetrics : public NodeMetrics {
 public:
  ServerMetrics();
  ~ServerMetrics() override;

  // NodeMetrics.
  void RequestAnswered(int32_t opcode, bool write, int64_t latency_ms) override;
  void SessionExpired() override;
  void ConnectionAccepted() override;
  void ConnectionRefused() override;
  void AddMonitorValues(MonitorValues* out) const override;

  void FsyncDone(int64_t elapsed_ms) { fsync_time_.Observe(elapsed_ms); }
  void SnapshotDone(int64_t elapsed_ms) { snapshot_time_.Observe(elapsed_ms); }
  void DatabaseLoaded(int64_t elapsed_ms) { db_init_time_.Observe(elapsed_ms); }
  // From the start of an election (looking) to serving as leader or follower.
  void ElectionDone(int64_t elapsed_ms) { election_time_.Observe(elapsed_ms); }
  void ElectionStarted();
  void Committed();  // an entry committed, as seen by this member
  void Proposed();   // leader: an entry proposed

  // Every family of the registry and the process metrics (runtime/process_metrics.h).
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessMetrics process_;
  ZkSummary read_latency_;
  ZkSummary update_latency_;
  ZkSummary fsync_time_;
  ZkSummary snapshot_time_;
  ZkSummary db_init_time_;
  ZkSummary election_time_;
  struct NamedCounter {
    const char* name;
    prometheus::Counter* counter;
  };
  NamedCounter looking_count_;
  NamedCounter commit_count_;
  NamedCounter proposal_count_;
  NamedCounter stale_sessions_expired_;
  NamedCounter connection_request_count_;
  NamedCounter connection_rejected_;
  // Corral's own corral_requests_total{op}: requests answered by opcode (ZooKeeper has no
  // per-opcode metric). Built once, read-only afterwards; opcodes not in it count as "unknown".
  std::map<int32_t, prometheus::Counter*> requests_by_op_;
  prometheus::Counter* requests_unknown_op_;
};

}  // namespace corral
