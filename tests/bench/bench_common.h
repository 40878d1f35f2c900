#pragma once
// Shared by the benchmark tools (corral-bench-lean, corral-bench-null, corral-bench-cclient):
// the monotonic clock, a latency histogram, jute encoding of the few records the tools speak,
// command-line flags, and the one result format every load generator prints.
//
// Nothing here knows which server is on the other end: the tools are plain ZooKeeper-protocol
// peers, and this header only holds what zookeeper.jute defines.
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corral_bench {

// --- Time -----------------------------------------------------------------------------------

// Nanoseconds on the monotonic clock (steady_clock is CLOCK_MONOTONIC on Linux, which is also
// what timerfd uses, so deadlines computed here can be handed to a timerfd unchanged).
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kNsPerSecond = 1'000'000'000;

// --- Latency histogram ----------------------------------------------------------------------

// A log-linear histogram in the manner of HdrHistogram: values below 128 ns are exact, above
// that every power of two is split into 128 buckets, so a reported percentile is within 1/128
// (0.8%) of the true sample. Fixed size (a few tens of KB), no allocation when recording.
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;
  static constexpr int kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  void Record(int64_t value_ns) {
    if (value_ns < 0) value_ns = 0;
    ++counts_[IndexOf(static_cast<uint64_t>(value_ns))];
    ++total_count_;
    sum_ns_ += value_ns;
    max_ns_ = std::max(max_ns_, value_ns);
  }

  void Merge(const LatencyHistogram& other) {
    for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    total_count_ += other.total_count_;
    sum_ns_ += other.sum_ns_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
  }

  uint64_t total_count() const { return total_count_; }
  int64_t max_ns() const { return max_ns_; }
  double mean_ns() const {
    return total_count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / total_count_;
  }

  // The smallest recorded bucket's upper bound at or below which `fraction` of the samples lie
  // (HdrHistogram's "highest equivalent value"), capped at the true maximum.
  int64_t PercentileNs(double fraction) const {
    if (total_count_ == 0) return 0;
    uint64_t wanted = static_cast<uint64_t>(fraction * static_cast<double>(total_count_) + 0.5);
    wanted = std::clamp<uint64_t>(wanted, 1, total_count_);
    uint64_t seen = 0;
    for (int i = 0; i < kBucketCount; ++i) {
      seen += counts_[i];
      if (seen >= wanted) return std::min<int64_t>(UpperBoundOf(i), max_ns_);
    }
    return max_ns_;
  }

 private:
  static int IndexOf(uint64_t value) {
    if (value < static_cast<uint64_t>(kSubBuckets)) return static_cast<int>(value);
    int msb = 63 - __builtin_clzll(value);
    int shift = msb - kSubBucketBits;
    return static_cast<int>(shift * kSubBuckets + static_cast<int64_t>(value >> shift));
  }
  static int64_t UpperBoundOf(int index) {
    if (index < kSubBuckets) return index;
    int shift = index / static_cast<int>(kSubBuckets) - 1;
    int64_t top = index % kSubBuckets + kSubBuckets;
    return ((top + 1) << shift) - 1;
  }

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t total_count_ = 0;
  int64_t sum_ns_ = 0;
  int64_t max_ns_ = 0;
};

// --- ZooKeeper wire constants (zookeeper.jute, ZooDefs.OpCode, KeeperException.Code) ----------

namespace op {
constexpr int32_t kCreate = 1;
constexpr int32_t kDelete = 2;
constexpr int32_t kExists = 3;
constexpr int32_t kGetData = 4;
constexpr int32_t kSetData = 5;
constexpr int32_t kGetChildren = 8;
constexpr int32_t kSync = 9;
constexpr int32_t kPing = 11;
constexpr int32_t kGetChildren2 = 12;
constexpr int32_t kCreate2 = 15;
constexpr int32_t kCloseSession = -11;
}  // namespace op

constexpr int32_t kXidNotification = -1;
constexpr int32_t kXidPing = -2;
constexpr int32_t kErrUnimplemented = -6;
constexpr int32_t kErrNodeExists = -110;
// Stat: czxid mzxid ctime mtime (longs), version cversion aversion (ints), ephemeralOwner (long),
// dataLength numChildren (ints), pzxid (long).
constexpr int kStatBytes = 68;
constexpr int kPasswordBytes = 16;
constexpr uint32_t kFrameBytesMax = 16 * 1024 * 1024;

// --- jute encoding --------------------------------------------------------------------------

// Appends big-endian jute fields to a byte string.
class JuteWriter {
 public:
  explicit JuteWriter(std::string* out) : out_(out) {}
  JuteWriter& Int(int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                 static_cast<char>(u)};
    out_->append(b, 4);
    return *this;
  }
  JuteWriter& Long(int64_t v) {
    Int(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
    return Int(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xffffffffu));
  }
  JuteWriter& Bool(bool v) {
    out_->push_back(v ? 1 : 0);
    return *this;
  }
  JuteWriter& Buffer(std::string_view v) {
    Int(static_cast<int32_t>(v.size()));
    out_->append(v.data(), v.size());
    return *this;
  }
  // The ACL vector world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
  JuteWriter& OpenAcl() {
    Int(1).Int(31);
    return Buffer("world").Buffer("anyone");
  }

 private:
  std::string* out_;
};

inline int32_t ReadInt32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
                              (uint32_t{u[2]} << 8) | uint32_t{u[3]});
}
inline int64_t ReadInt64(const char* p) {
  return static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(ReadInt32(p))) << 32) |
                              static_cast<uint32_t>(ReadInt32(p + 4)));
}
inline void WriteInt32(char* p, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  p[0] = static_cast<char>(u >> 24);
  p[1] = static_cast<char>(u >> 16);
  p[2] = static_cast<char>(u >> 8);
  p[3] = static_cast<char>(u);
}

// A whole frame: 4-byte length, then `record`.
inline std::string Frame(const std::string& record) {
  std::string frame;
  JuteWriter(&frame).Int(static_cast<int32_t>(record.size()));
  frame += record;
  return frame;
}

// ConnectRequest {protocolVersion 0, lastZxidSeen 0, timeOut, sessionId 0, passwd, readOnly}.
inline std::string ConnectRequestFrame(int32_t session_timeout_ms) {
  std::string record;
  JuteWriter(&record)
      .Int(0)
      .Long(0)
      .Int(session_timeout_ms)
      .Long(0)
      .Buffer(std::string(kPasswordBytes, '\0'));
  JuteWriter(&record).Bool(false);
  return Frame(record);
}

// --- Workloads ------------------------------------------------------------------------------

// What each request of a workload is. The same names and meanings in every load generator.
enum class Workload { kRead, kExists, kMixed, kWrite, kCreateDelete, kPopulate };

inline bool ParseWorkload(std::string_view name, Workload* out) {
  static const std::pair<std::string_view, Workload> kNames[] = {
      {"read", Workload::kRead},
      {"exists", Workload::kExists},
      {"mixed", Workload::kMixed},
      {"write", Workload::kWrite},
      {"create-delete", Workload::kCreateDelete},
      {"populate", Workload::kPopulate}};
  for (const auto& [n, w] : kNames) {
    if (n == name) {
      *out = w;
      return true;
    }
  }
  return false;
}

constexpr const char* kWorkloadHelp =
    "  read           getData of a random pre-populated znode\n"
    "  exists         exists of a random pre-populated znode\n"
    "  mixed          getData, or setData with probability --write-percent (default 10)\n"
    "  write          setData of a random pre-populated znode (version -1)\n"
    "  create-delete  create PREFIX-cd/<unique>, then delete it; each request is one op\n"
    "  populate       create PREFIX and PREFIX/n00000000 .. n<znodes-1> (the set the others\n"
    "                 use); ends when all are created; NODEEXISTS is an error\n";

// The child of `prefix` with index i: fixed width so request sizes do not vary.
inline std::string ZnodePath(const std::string& prefix, int64_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "/n%08lld", static_cast<long long>(index));
  return prefix + name;
}

// The parent under which create-delete creates and deletes its znodes.
inline std::string CreateDeleteParent(const std::string& prefix) { return prefix + "-cd"; }

// A deterministic, non-repeating-looking payload of `bytes` bytes.
inline std::string Payload(int bytes) {
  std::string data(static_cast<size_t>(bytes), 'x');
  for (int i = 0; i < bytes; ++i) data[i] = static_cast<char>('a' + (i * 7) % 26);
  return data;
}

// xorshift64*: fast, good enough to pick znodes uniformly; seeded per connection.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  // Uniform in [0, n) (Lemire's multiply-shift; bias negligible for n << 2^32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>((static_cast<unsigned __int128>(Next() >> 32) * n) >> 32);
  }

 private:
  uint64_t state_;
};

// --- Command-line flags ---------------------------------------------------------------------

// `--name value` or `--name=value` flags; unknown flags are an error the caller reports.
class Flags {
 public:
  Flags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        help_ = true;
        continue;
      }
      if (arg.rfind("--", 0) != 0) {
        bad_.push_back(arg);
        continue;
      }
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        values_[arg.substr(2)] = argv[++i];
      } else {
        bad_.push_back(arg);
      }
    }
  }
  bool help() const { return help_; }

  std::string String(const std::string& name, const std::string& fallback) {
    used_.push_back(name);
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  double Double(const std::string& name, double fallback) {
    std::string text = String(name, "");
    if (text.empty()) return fallback;
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0') bad_.push_back("--" + name + "=" + text);
    return v;
  }
  int64_t Int(const std::string& name, int64_t fallback) {
    std::string text = String(name, "");
    if (text.empty()) return fallback;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') bad_.push_back("--" + name + "=" + text);
    return v;
  }
  // After every flag was read: the flags that were not understood (empty when all is well).
  std::vector<std::string> Problems() const {
    std::vector<std::string> problems = bad_;
    for (const auto& [name, value] : values_) {
      if (std::find(used_.begin(), used_.end(), name) == used_.end()) {
        problems.push_back("unknown flag --" + name);
      }
    }
    return problems;
  }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> used_;
  std::vector<std::string> bad_;
  bool help_ = false;
};

// "h1:p1,h2:p2" → endpoints. Returns false on a malformed entry.
struct Endpoint {
  std::string host;
  int port = 0;
};
inline bool ParseEndpoints(const std::string& text, std::vector<Endpoint>* out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    Endpoint e{item.substr(0, colon), std::atoi(item.c_str() + colon + 1)};
    if (e.port <= 0 || e.port > 65535) return false;
    out->push_back(e);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out->empty();
}

// --- The load generators' options -----------------------------------------------------------

// Flags shared by corral-bench-lean and corral-bench-cclient, so that both run the same
// workloads with the same meaning.
struct LoadOptions {
  std::string servers_text = "127.0.0.1:2181";
  std::vector<Endpoint> servers;
  std::string workload_name = "read";
  Workload workload = Workload::kRead;
  int connections = 16;
  int window_requests = 32;
  double duration_s = 10;
  double warmup_s = 1;
  double rate_ops_s = 0;
  int64_t znodes = 1000;
  int data_bytes = 100;
  int write_percent = 10;
  std::string prefix = "/bench";
  int session_timeout_ms = 30000;
  uint64_t seed = 1;
};

inline void LoadUsage(const char* tool) {
  std::fprintf(stderr,
               "usage: %s [flags]\n"
               "  --servers H:P[,H:P...]   servers; connection i goes to server i mod count "
               "(127.0.0.1:2181)\n"
               "  --workload NAME          read | exists | mixed | write | create-delete | "
               "populate (read)\n"
               "  --connections N          connections (sessions) (16)\n"
               "  --window-requests W      requests in flight per connection (32)\n"
               "  --duration-s S           measured seconds (10)\n"
               "  --warmup-s S             seconds run before measuring (1)\n"
               "  --rate-ops-s R           fixed offered load over all connections, latency\n"
               "                           from each request's scheduled time; 0 = closed loop "
               "(0)\n"
               "  --znodes K               size of the znode set PREFIX/n00000000.. (1000)\n"
               "  --data-bytes B           bytes written by setData/create (100)\n"
               "  --write-percent P        setData share of the mixed workload (10)\n"
               "  --prefix PATH            parent of the znode set (/bench)\n"
               "  --session-timeout-ms T   requested session timeout (30000)\n"
               "  --seed N                 seed of the znode choice (1)\n"
               "workloads:\n%s"
               "Prints a summary on stderr and one JSON object on stdout. Exit status: 0 ok,\n"
               "1 the run had errors, 2 bad usage or no connection.\n",
               tool, kWorkloadHelp);
}

// Parses argv; prints the problems and the usage and returns false when they are bad.
inline bool ParseLoadOptions(const char* tool, int argc, char** argv, LoadOptions* o) {
  Flags flags(argc, argv);
  if (flags.help()) {
    LoadUsage(tool);
    std::exit(0);
  }
  o->servers_text = flags.String("servers", o->servers_text);
  o->workload_name = flags.String("workload", o->workload_name);
  o->connections = static_cast<int>(flags.Int("connections", o->connections));
  o->window_requests = static_cast<int>(flags.Int("window-requests", o->window_requests));
  o->duration_s = flags.Double("duration-s", o->duration_s);
  o->warmup_s = flags.Double("warmup-s", o->warmup_s);
  o->rate_ops_s = flags.Double("rate-ops-s", o->rate_ops_s);
  o->znodes = flags.Int("znodes", o->znodes);
  o->data_bytes = static_cast<int>(flags.Int("data-bytes", o->data_bytes));
  o->write_percent = static_cast<int>(flags.Int("write-percent", o->write_percent));
  o->prefix = flags.String("prefix", o->prefix);
  o->session_timeout_ms = static_cast<int>(flags.Int("session-timeout-ms", o->session_timeout_ms));
  o->seed = static_cast<uint64_t>(flags.Int("seed", static_cast<int64_t>(o->seed)));
  std::vector<std::string> problems = flags.Problems();
  if (!ParseEndpoints(o->servers_text, &o->servers)) problems.push_back("bad --servers");
  if (!ParseWorkload(o->workload_name, &o->workload)) problems.push_back("bad --workload");
  if (o->connections < 1 || o->connections > 9999) problems.push_back("bad --connections");
  if (o->window_requests < 1) problems.push_back("--window-requests must be >= 1");
  if (o->duration_s <= 0 || o->warmup_s < 0) problems.push_back("bad --duration-s/--warmup-s");
  if (o->rate_ops_s < 0) problems.push_back("--rate-ops-s must be >= 0");
  if (o->znodes < 1 || o->znodes > 99'999'999) problems.push_back("--znodes out of range");
  if (o->data_bytes < 0) problems.push_back("--data-bytes must be >= 0");
  if (o->write_percent < 0 || o->write_percent > 100) problems.push_back("bad --write-percent");
  if (o->prefix.empty() || o->prefix[0] != '/' || o->prefix.back() == '/') {
    problems.push_back("--prefix must be an absolute path without a trailing slash");
  }
  for (const auto& p : problems) std::fprintf(stderr, "%s: %s\n", tool, p.c_str());
  if (!problems.empty()) LoadUsage(tool);
  return problems.empty();
}

// --- Results --------------------------------------------------------------------------------

// One run's outcome in the format every load generator prints: a human summary on stderr and
// one JSON object on stdout (what tests/bench/run_bench.py parses).
struct RunResult {
  std::string tool;
  std::string workload;
  std::string servers;
  int connections = 0;
  int window_requests = 0;
  double offered_ops_s = 0;  // 0: closed loop (as fast as the window allows)
  double measured_s = 0;
  uint64_t ops = 0;      // replies counted in the measured window
  uint64_t replies = 0;  // every reply of the run, warm-up and drain included
  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_detail;  // e.g. "err-101" → count, "closed" → count
  LatencyHistogram latency;
  // Fixed offered load only: how late the generator issued each request after its scheduled
  // time. Large values mean the generator (or the machine), not the server, fell behind.
  LatencyHistogram schedule_lag;
};

inline void PrintResult(const RunResult& r) {
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  double ops_per_s = r.measured_s > 0 ? static_cast<double>(r.ops) / r.measured_s : 0.0;
  const LatencyHistogram& h = r.latency;
  std::fprintf(stderr,
               "%s %s: %llu ops in %.2f s = %.0f ops/s, latency p50 %.1f us p99 %.1f us "
               "p999 %.1f us max %.1f us, errors %llu\n",
               r.tool.c_str(), r.workload.c_str(), static_cast<unsigned long long>(r.ops),
               r.measured_s, ops_per_s, us(h.PercentileNs(0.50)), us(h.PercentileNs(0.99)),
               us(h.PercentileNs(0.999)), us(h.max_ns()),
               static_cast<unsigned long long>(r.errors));
  if (r.offered_ops_s > 0) {
    std::fprintf(stderr, "%s %s: offered %.0f ops/s; issued late by p50 %.1f us p99 %.1f us\n",
                 r.tool.c_str(), r.workload.c_str(), r.offered_ops_s,
                 us(r.schedule_lag.PercentileNs(0.50)), us(r.schedule_lag.PercentileNs(0.99)));
  }
  std::string detail;
  for (const auto& [what, count] : r.error_detail) {
    if (!detail.empty()) detail += ",";
    detail += "\"" + what + "\":" + std::to_string(count);
  }
  std::printf(
      "{\"tool\":\"%s\",\"workload\":\"%s\",\"servers\":\"%s\",\"connections\":%d,"
      "\"window_requests\":%d,\"offered_ops_s\":%.1f,\"measured_s\":%.3f,\"ops\":%llu,"
      "\"replies\":%llu,\"ops_per_s\":%.1f,\"errors\":%llu,\"error_detail\":{%s},\"mean_us\":%.1f,"
      "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
      "\"schedule_lag_p50_us\":%.1f,\"schedule_lag_p99_us\":%.1f}\n",
      r.tool.c_str(), r.workload.c_str(), r.servers.c_str(), r.connections, r.window_requests,
      r.offered_ops_s, r.measured_s, static_cast<unsigned long long>(r.ops),
      static_cast<unsigned long long>(r.replies), ops_per_s,
      static_cast<unsigned long long>(r.errors), detail.c_str(), h.mean_ns() / 1000.0,
      us(h.PercentileNs(0.50)), us(h.PercentileNs(0.90)), us(h.PercentileNs(0.99)),
      us(h.PercentileNs(0.999)), us(h.max_ns()), us(r.schedule_lag.PercentileNs(0.50)),
      us(r.schedule_lag.PercentileNs(0.99)));
  std::fflush(stdout);
}

}  // namespace corral_bench
