#pragma once
// The /metrics text: ZooKeeper's gauges (the node's mntr values, sampled at each scrape, as
// ZooKeeper's Prometheus provider samples its registered gauges) and everything in the
// ServerMetrics registry (summaries, counters, process metrics), in Prometheus' text format
// 0.0.4 written by prometheus-cpp's serializer. Pure: the caller collects.
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "node/monitor_values.h"

namespace corral {

// One gauge family per numeric value, named by its mntr key (znode_count, learners, ...).
// Text values (version, server_state, peer_state) have no gauge in ZooKeeper either.
std::vector<prometheus::MetricFamily> GaugeFamilies(const MonitorValues& values);

// The exposition: `collected` (a registry's Collect()) and the gauges of `values`.
std::string MetricsText(const MonitorValues& values,
                        std::vector<prometheus::MetricFamily> collected);

// The Content-Type of that text.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace corral
