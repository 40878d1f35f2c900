#include "runtime/server_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>

#include "zk/codes.h"

namespace corral {
namespace {

// ZooKeeper's Prometheus provider: BASIC summaries report the median, ADVANCED ones also the
// 90th and 99th percentiles; the Java client keeps observations for ten minutes in five
// buckets by default.
std::vector<double> QuantilesOf(bool advanced) {
  if (!advanced) return {0.5};
  return {0.5, 0.9, 0.99};
}
constexpr std::chrono::minutes kSummaryWindow{10};
constexpr int kSummaryAgeBuckets = 5;

prometheus::Counter* MakeCounter(prometheus::Registry& registry, const std::string& name) {
  // ZooKeeper's help text is the name itself.
  return &prometheus::BuildCounter().Name(name).Help(name).Register(registry).Add({});
}

void AtomicMin(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

ZkSummary::ZkSummary(const std::string& name, bool advanced)
    : name_(name), quantiles_(QuantilesOf(advanced)), window_(kSummaryWindow, kSummaryAgeBuckets) {}

void ZkSummary::Observe(int64_t value) {
  window_.Observe(value);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  AtomicMin(min_, value);
  AtomicMax(max_, value);
}

prometheus::MetricFamily ZkSummary::Family() const {
  prometheus::MetricFamily f;
  f.name = name_;
  f.help = name_;  // ZooKeeper's help text is the name itself
  f.type = prometheus::MetricType::Summary;
  prometheus::ClientMetric m;
  m.summary.sample_count = static_cast<uint64_t>(count_.load(std::memory_order_relaxed));
  m.summary.sample_sum = static_cast<double>(sum_.load(std::memory_order_relaxed));
  std::vector<double> values = window_.Quantiles(quantiles_);
  for (size_t i = 0; i < quantiles_.size(); ++i) {
    m.summary.quantile.push_back({quantiles_[i], values[i]});
  }
  f.metric.push_back(std::move(m));
  return f;
}

void ZkSummary::AddMonitorValues(MonitorValues* out) const {
  int64_t count = count_.load(std::memory_order_relaxed);
  int64_t sum = sum_.load(std::memory_order_relaxed);
  // ZooKeeper's AvgMinMaxCounter reports zeros before the first observation.
  double avg = count > 0 ? static_cast<double>(sum) / static_cast<double>(count) : 0.0;
  out->push_back({"avg_" + name_, avg});
  out->push_back({"min_" + name_, count > 0 ? min_.load(std::memory_order_relaxed) : 0});
  out->push_back({"max_" + name_, count > 0 ? max_.load(std::memory_order_relaxed) : 0});
  out->push_back({"cnt_" + name_, count});
  out->push_back({"sum_" + name_, sum});
}

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      read_latency_("readlatency", /*advanced=*/true),
      update_latency_("updatelatency", /*advanced=*/true),
      fsync_time_("fsynctime", /*advanced=*/false),
      snapshot_time_("snapshottime", /*advanced=*/false),
      db_init_time_("dbinittime", /*advanced=*/false),
      election_time_("election_time", /*advanced=*/false),
      looking_count_{"looking_count", MakeCounter(*registry_, "looking_count")},
      commit_count_{"commit_count", MakeCounter(*registry_, "commit_count")},
      proposal_count_{"proposal_count", MakeCounter(*registry_, "proposal_count")},
      stale_sessions_expired_{"stale_sessions_expired",
                              MakeCounter(*registry_, "stale_sessions_expired")},
      connection_request_count_{"connection_request_count",
                                MakeCounter(*registry_, "connection_request_count")},
      connection_rejected_{"connection_rejected", MakeCounter(*registry_, "connection_rejected")} {
  auto& by_op = prometheus::BuildCounter()
                    .Name("corral_requests_total")
                    .Help("Requests answered, by ZooKeeper operation")
                    .Register(*registry_);
  // Every opcode zk::OpName knows (ZooKeeper's ranges: -11..22 and 100..107), except 0, the
  // notification pseudo-opcode, which is never a request.
  for (int32_t op = -11; op <= 127; ++op) {
    std::string name = zk::OpName(op);
    if (op == zk::kNotification || name == "unknown") continue;
    requests_by_op_[op] = &by_op.Add({{"op", name}});
  }
  requests_unknown_op_ = &by_op.Add({{"op", "unknown"}});
}

ServerMetrics::~ServerMetrics() = default;

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const ZkSummary* s : {&read_latency_, &update_latency_, &fsync_time_, &snapshot_time_,
                             &db_init_time_, &election_time_}) {
    families.push_back(s->Family());
  }
  for (auto& f : process_.Collect()) families.push_back(std::move(f));
  return families;
}

void ServerMetrics::RequestAnswered(int32_t opcode, bool write, int64_t latency_ms) {
  (write ? update_latency_ : read_latency_).Observe(latency_ms);
  auto it = requests_by_op_.find(opcode);
  (it != requests_by_op_.end() ? it->second : requests_unknown_op_)->Increment();
}

void ServerMetrics::SessionExpired() { stale_sessions_expired_.counter->Increment(); }
void ServerMetrics::ConnectionAccepted() { connection_request_count_.counter->Increment(); }
void ServerMetrics::ConnectionRefused() {
  connection_request_count_.counter->Increment();
  connection_rejected_.counter->Increment();
}
void ServerMetrics::ElectionStarted() { looking_count_.counter->Increment(); }
void ServerMetrics::Committed() { commit_count_.counter->Increment(); }
void ServerMetrics::Proposed() { proposal_count_.counter->Increment(); }

void ServerMetrics::AddMonitorValues(MonitorValues* out) const {
  for (const NamedCounter* c :
       {&looking_count_, &commit_count_, &proposal_count_, &stale_sessions_expired_,
        &connection_request_count_, &connection_rejected_}) {
    out->push_back({c->name, static_cast<int64_t>(c->counter->Value())});
  }
  for (const ZkSummary* s : {&fsync_time_, &snapshot_time_, &db_init_time_, &election_time_,
                             &read_latency_, &update_latency_}) {
    s->AddMonitorValues(out);
  }
}

}  // namespace corral
