#include "node/monitor_values.h"

#include <charconv>
#include <cmath>

namespace corral {

std::string FormatMonitorDouble(double value) {
  if (!std::isfinite(value)) return "0.0";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  std::string text = ec == std::errc() ? std::string(buf, end) : "0";
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

std::string FormatMntr(const MonitorValues& values) {
  std::string out;
  for (const MonitorValue& v : values) {
    out += "zk_" + v.key + "\t";
    if (const int64_t* n = std::get_if<int64_t>(&v.value)) {
      out += std::to_string(*n);
    } else if (const double* d = std::get_if<double>(&v.value)) {
      out += FormatMonitorDouble(*d);
    } else {
      out += std::get<std::string>(v.value);
    }
    out += "\n";
  }
  return out;
}

}  // namespace corral
