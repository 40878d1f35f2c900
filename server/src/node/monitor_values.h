#pragma once
// MonitorValues: a member's statistics as ZooKeeper's `mntr` lists them, key (without "zk_")
// and value, in order. One list feeds the mntr four-letter word, the admin API's `monitor`
// command and the Prometheus gauges (runtime/metrics_exposition.h), so the three never
// disagree. Keys are ZooKeeper's, so existing scripts and dashboards read them unchanged.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace corral {

struct MonitorValue {
  std::string key;
  std::variant<int64_t, double, std::string> value;
};
using MonitorValues = std::vector<MonitorValue>;

// mntr's text: "zk_<key>\t<value>\n" per value, in order. Doubles print as Java prints them
// ("3.0", "0.25").
std::string FormatMntr(const MonitorValues& values);
std::string FormatMonitorDouble(double value);

// Metrics of events (request latencies, expiries, elections, fsyncs) that live outside the
// node, in runtime/server_metrics.h on prometheus-cpp. The node reports what it sees and asks
// for their mntr lines. Methods are called on the core thread; implementations are
// thread-safe because the HTTP thread reads the same metrics.
class NodeMetrics {
 public:
  virtual ~NodeMetrics() = default;
  // A reply left for a request received latency_ms ago (pings included, as in ZooKeeper's
  // readlatency). write: it went through the log.
  virtual void RequestAnswered(int32_t opcode, bool write, int64_t latency_ms) = 0;
  virtual void SessionExpired() = 0;
  virtual void ConnectionAccepted() = 0;
  virtual void ConnectionRefused() = 0;
  // Appends the event metrics in the form ZooKeeper's default metrics provider gives mntr:
  // counters as their value, summaries as avg_/min_/max_/cnt_/sum_<name>.
  virtual void AddMonitorValues(MonitorValues* out) const = 0;
};

}  // namespace corral
