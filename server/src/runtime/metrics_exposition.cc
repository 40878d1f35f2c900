#include "runtime/metrics_exposition.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace corral {

std::vector<prometheus::MetricFamily> GaugeFamilies(const MonitorValues& values) {
  std::vector<prometheus::MetricFamily> out;
  for (const MonitorValue& v : values) {
    double value = 0;
    if (const int64_t* n = std::get_if<int64_t>(&v.value)) {
      value = static_cast<double>(*n);
    } else if (const double* d = std::get_if<double>(&v.value)) {
      value = *d;
    } else {
      continue;
    }
    prometheus::MetricFamily f;
    f.name = v.key;
    f.help = v.key;  // ZooKeeper's provider uses the name as help text
    f.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric m;
    m.gauge.value = value;
    f.metric.push_back(m);
    out.push_back(std::move(f));
  }
  return out;
}

std::string MetricsText(const MonitorValues& values,
                        std::vector<prometheus::MetricFamily> collected) {
  for (auto& f : GaugeFamilies(values)) collected.push_back(std::move(f));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collected);
  return out.str();
}

}  // namespace corral
