#pragma once
// ProcessMetrics: the standard Prometheus process metrics (what the Java client's
// StandardExports gives ZooKeeper, and every process dashboard reads): CPU seconds, resident
// and virtual memory, open and maximum file descriptors, start time. Read from /proc at each
// scrape. Registered in ServerMetrics' registry as a Collectable; thread-safe (no state).
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corral {

// The fields of /proc/<pid>/stat the metrics need, in clock ticks and bytes/pages as the
// kernel gives them.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_time_ticks = 0;  // after boot
  uint64_t virtual_bytes = 0;
  uint64_t resident_pages = 0;
};
// Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last ')'. nullopt when the
// text does not have the fields.
std::optional<ProcStat> ParseProcStat(const std::string& text);

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace corral
