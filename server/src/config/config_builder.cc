#include "config/config_builder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>

#include "base/strings.h"
#include "config/properties_parser.h"
#include "config/text_file.h"

namespace corral {
namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kPortMax = 65535;
// ZooKeeper's purge never keeps fewer snapshots than this; it raises smaller settings (with a
// warning) rather than failing, and so do we.
constexpr int64_t kSnapRetainCountMin = 3;
// A snapshot is taken after snapCount/2 + random(snapCount/2) transactions; ZooKeeper raises
// values below 2, for which that formula means nothing.
constexpr int64_t kSnapCountMin = 2;
// Keys ZooKeeper does not parse itself become the Java system property "zookeeper.<key>".
constexpr std::string_view kSystemPropertyPrefix = "zookeeper.";
constexpr std::string_view kServerPrefix = "server.";
constexpr std::string_view kPrometheusProvider =
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
constexpr std::string_view kDefaultMetricsProvider =
    "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";
constexpr std::string_view kFourLetterWords[] = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                                 "gtmk", "hash", "isro", "mntr", "ruok", "srst",
                                                 "srvr", "stat", "stmk", "wchc", "wchp", "wchs"};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Trim(std::string_view s) { return std::string(TrimSpace(s)); }

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Integer.parseInt / Long.parseLong syntax: an optional sign, then decimal digits.
std::optional<int64_t> ParseDecimal(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string RangeText(int64_t min, int64_t max) {
  if (max >= kInt32Max && min == 1) return "a positive integer";
  if (max >= kInt32Max && min == 0) return "a non-negative integer";
  if (max >= kInt32Max && min <= kInt32Min) return "an integer";
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

std::string ResolvePath(const std::string& base_dir, const std::string& value) {
  std::filesystem::path path(value);
  if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsWildcardAddress(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address == "0:0:0:0:0:0:0:0";
}

// One key = value as it will be applied: trimmed, with the name the key table knows it by.
struct Setting {
  std::string key;        // as written
  std::string canonical;  // `key`, or without "zookeeper." when that spelling is an alias
  std::string value;
  int line = 0;
  std::string source;  // file name for messages; may be empty
};

class Builder;
using Handler = Status (*)(Builder&, const Setting&);

struct KeyRule {
  std::string_view name;
  // ZooKeeper reads the setting from the system property "zookeeper.<name>", which a zoo.cfg
  // line `<name>=…` sets; people therefore write either spelling, and both are accepted.
  bool system_property;
  Handler apply;
};

// Keys ZooKeeper knows that have no meaning in Corral. They are accepted (a config written for
// ZooKeeper must start) and reported, so nobody believes they took effect.
struct IgnoredRule {
  std::string_view name;
  bool is_prefix;
  std::string_view reason;
};

constexpr std::string_view kJavaClass = "it names a Java class, which has no meaning in Corral";
constexpr std::string_view kJavaTls =
    "Java TLS (keystore, truststore, port unification) settings are not used by Corral";
constexpr std::string_view kSasl = "SASL/Kerberos quorum authentication is not supported";
constexpr std::string_view kJvm = "it tunes the Java VM or its thread pools";
constexpr std::string_view kNoEquivalent = "Corral has no equivalent of this ZooKeeper setting";
constexpr std::string_view kHierarchical =
    "hierarchical quorums (group/weight) are not supported; every participant has one vote "
    "(majority quorum)";

constexpr IgnoredRule kIgnoredRules[] = {
    {"serverCnxnFactory", false, kJavaClass},
    {"authProvider.", true, kJavaClass},
    {"ssl.", true, kJavaTls},
    {"sslQuorum", false, kJavaTls},
    {"sslQuorumReloadCertFiles", false, kJavaTls},
    {"portUnification", false, kJavaTls},
    {"client.portUnification", false, kJavaTls},
    {"admin.portUnification", false, kJavaTls},
    {"admin.forceHttps", false, kJavaTls},
    {"admin.needClientAuth", false, kJavaTls},
    {"quorum.auth.", true, kSasl},
    {"jvm.pause.", true, kJvm},
    {"quorum.cnxn.threads.size", false, kJvm},
    {"multiAddress.", true, "several addresses per server are not supported"},
    {"oraclePath", false, "the oracle quorum (QuorumOracleMaj) is not supported"},
    {"group.", true, kHierarchical},
    {"weight.", true, kHierarchical},
    {"connectToLearnerMasterLimit", false, kNoEquivalent},
    {"observerMasterPort", false, "observers sync from the leader"},
    {"clientPortListenBacklog", false, kNoEquivalent},
    {"localSessionsUpgradingEnabled", false, kNoEquivalent},
    {"syncEnabled", false, kNoEquivalent},
    {"admin.idleTimeout", false, kNoEquivalent},
    // After the honoured metricsProvider.* keys (the key table is consulted first).
    {"metricsProvider.", true,
     "Corral's Prometheus endpoint is configured only by metricsProvider.className, "
     "metricsProvider.httpHost and metricsProvider.httpPort"},
};

const KeyRule* FindRule(std::string_view key);

class Builder {
 public:
  explicit Builder(const ConfigSource& source) : source_(source) {}

  StatusOr<Config> Build(const std::vector<ConfigEntry>& entries) {
    std::vector<Setting> settings = Collect(entries, source_.name);
    bool has_dynamic_file = std::any_of(settings.begin(), settings.end(), [](const Setting& s) {
      return s.canonical == "dynamicConfigFile";
    });
    for (const Setting& s : settings) {
      if (has_dynamic_file && IsEnsembleKey(s.canonical)) {
        return Fail(s, "must be in the dynamicConfigFile when one is set, not in this file");
      }
      CORRAL_RETURN_IF_ERROR(Apply(s));
    }
    CORRAL_RETURN_IF_ERROR(ResolveDefaults());
    if (has_dynamic_file) CORRAL_RETURN_IF_ERROR(LoadDynamicConfigFile());
    CORRAL_RETURN_IF_ERROR(ResolveEnsemble());
    return std::move(config_);
  }

  // --- Used by the key table. ---

  Config& config() { return config_; }

  Status Fail(const Setting& s, const std::string& reason) const {
    return Status::InvalidArgument(s.key + ": " + reason + Where(s));
  }

  void Warn(const Setting& s, const std::string& text) {
    config_.warnings.push_back(text + Where(s));
  }

  Status Int(const Setting& s, int64_t min, int64_t max, int64_t* out) const {
    std::optional<int64_t> value = ParseDecimal(s.value);
    if (!value || *value < min || *value > max) {
      return Fail(s, "expected " + RangeText(min, max) + ", got " + Quote(s.value));
    }
    *out = *value;
    return Status::Ok();
  }

  template <typename T>
  Status SetInt(const Setting& s, int64_t min, int64_t max, T* field) {
    int64_t value = 0;
    CORRAL_RETURN_IF_ERROR(Int(s, min, max, &value));
    *field = static_cast<T>(value);
    return Status::Ok();
  }

  Status SetPort(const Setting& s, int* field) { return SetInt(s, 1, kPortMax, field); }

  // Only true and false, ignoring case. Java's Boolean.parseBoolean reads every other word as
  // false, which silently turns a typo ("ture", "yes") into the opposite of what was meant.
  Status SetBool(const Setting& s, bool* field) {
    std::string lower = ToLowerAscii(s.value);
    if (lower == "true") {
      *field = true;
    } else if (lower == "false") {
      *field = false;
    } else {
      return Fail(s, "expected true or false, got " + Quote(s.value));
    }
    return Status::Ok();
  }

  Status SetText(const Setting& s, std::string* field) {
    if (s.value.empty()) return Fail(s, "expected a value, got an empty one");
    *field = s.value;
    return Status::Ok();
  }

  Status SetPath(const Setting& s, std::string* field) {
    if (s.value.empty()) return Fail(s, "expected a path, got an empty value");
    *field = ResolvePath(source_.base_dir, s.value);
    return Status::Ok();
  }

  // Settings whose meaning depends on others are remembered and checked once all are read.
  std::optional<Setting> min_session_timeout;
  std::optional<Setting> max_session_timeout;
  std::optional<Setting> client_port_address;
  std::optional<Setting> secure_client_port_address;
  std::optional<Setting> dynamic_config_file;
  std::optional<Setting> peer_type;
  bool peer_type_observer = false;

 private:
  struct ServerLine {
    ServerSpec spec;
    Setting setting;
  };

  std::string Where(const Setting& s) const {
    if (s.line > 0) {
      return s.source.empty() ? " (line " + std::to_string(s.line) + ")"
                              : " (" + s.source + " line " + std::to_string(s.line) + ")";
    }
    return s.source.empty() ? "" : " (" + s.source + ")";
  }

  std::string SourceWhere() const { return source_.name.empty() ? "" : " (" + source_.name + ")"; }

  static std::string CanonicalKey(const std::string& key) {
    if (FindRule(key) != nullptr || !StartsWith(key, kSystemPropertyPrefix)) return key;
    std::string rest = key.substr(kSystemPropertyPrefix.size());
    const KeyRule* rule = FindRule(rest);
    return rule != nullptr && rule->system_property ? rest : key;
  }

  static bool IsEnsembleKey(const std::string& key) {
    return StartsWith(key, kServerPrefix) || StartsWith(key, "group.") ||
           StartsWith(key, "weight.");
  }

  // Trims, canonicalizes and de-duplicates (the last value wins, as in java.util.Properties),
  // and records every key in `raw`.
  std::vector<Setting> Collect(const std::vector<ConfigEntry>& entries, const std::string& source) {
    std::vector<Setting> settings;
    std::map<std::string, size_t> position_by_key;
    for (const ConfigEntry& entry : entries) {
      Setting s;
      s.key = Trim(entry.key);
      s.value = Trim(entry.value);
      s.line = entry.line;
      s.source = source;
      if (s.key.empty()) {
        Warn(s, "ignored a setting with an empty key");
        continue;
      }
      s.canonical = CanonicalKey(s.key);
      config_.raw[s.key] = s.value;
      auto [it, inserted] = position_by_key.emplace(s.canonical, settings.size());
      if (inserted) {
        settings.push_back(std::move(s));
        continue;
      }
      Setting& earlier = settings[it->second];
      std::string earlier_line =
          earlier.line > 0 ? " (line " + std::to_string(earlier.line) + ")" : "";
      Warn(s, Quote(s.key) + " overrides the earlier " + Quote(earlier.key) + earlier_line +
                  "; the last value is used");
      earlier = std::move(s);
    }
    return settings;
  }

  Status Apply(const Setting& s) {
    if (const KeyRule* rule = FindRule(s.canonical)) return rule->apply(*this, s);
    if (StartsWith(s.canonical, kServerPrefix)) return AddServer(s);
    if (const IgnoredRule* ignored = FindIgnored(s.canonical)) {
      Warn(s, Quote(s.key) + " is accepted and ignored: " + std::string(ignored->reason));
      return Status::Ok();
    }
    std::string text = "unknown key " + Quote(s.key) + " kept as property " +
                       std::string(kSystemPropertyPrefix) + s.key;
    if (std::optional<std::string> near = NearestKnownKey(s.key)) {
      text += " (did you mean " + Quote(*near) + "?)";
    }
    Warn(s, text);
    return Status::Ok();
  }

  static const IgnoredRule* FindIgnored(const std::string& key) {
    auto find = [](std::string_view k) -> const IgnoredRule* {
      for (const IgnoredRule& rule : kIgnoredRules) {
        if (rule.is_prefix ? StartsWith(k, rule.name) : k == rule.name) return &rule;
      }
      return nullptr;
    };
    if (const IgnoredRule* rule = find(key)) return rule;
    if (StartsWith(key, kSystemPropertyPrefix))
      return find(key.substr(kSystemPropertyPrefix.size()));
    return nullptr;
  }

  // Keys are case-sensitive, as in ZooKeeper; a key that differs from a known one only in case
  // (or by a "zookeeper." prefix ZooKeeper would not strip) is almost certainly a typo.
  static std::optional<std::string> NearestKnownKey(const std::string& key);

  Status AddServer(const Setting& s) {
    std::string_view id_text = std::string_view(s.canonical).substr(kServerPrefix.size());
    std::optional<int64_t> id = ParseDecimal(id_text);
    if (!id || *id <= 0) {
      return Fail(
          s, "the server id after \"server.\" must be a positive integer, got " + Quote(id_text));
    }
    StatusOr<ServerSpec> spec = ParseServerSpec(*id, s.value);
    if (!spec.ok()) return Fail(s, spec.status().message());
    auto [it, inserted] = servers_.emplace(*id, ServerLine{*spec, s});
    if (!inserted) {
      return Fail(s, "duplicate server id " + std::to_string(*id) + ", already given by " +
                         it->second.setting.key);
    }
    return Status::Ok();
  }

  Status ResolveDefaults() {
    Config& c = config_;
    if (c.data_dir.empty()) {
      return Status::InvalidArgument("dataDir: required, but not set" + SourceWhere());
    }
    if (c.data_log_dir.empty()) c.data_log_dir = c.data_dir;
    if (client_port_address && c.client_port == 0) {
      return Fail(*client_port_address, "is set, but clientPort is not");
    }
    if (secure_client_port_address && c.secure_client_port == 0) {
      return Fail(*secure_client_port_address, "is set, but secureClientPort is not");
    }
    // ZooKeeper's defaults, computed in 64 bits: 20 x a large tickTime would overflow an int.
    auto resolve = [&](int configured, int64_t ticks) {
      if (configured != -1) return configured;
      return static_cast<int>(std::min<int64_t>(kInt32Max, ticks * c.tick_time_ms));
    };
    c.min_session_timeout_ms = resolve(c.min_session_timeout_ms, 2);
    c.max_session_timeout_ms = resolve(c.max_session_timeout_ms, 20);
    if (c.min_session_timeout_ms > c.max_session_timeout_ms) {
      std::string text = "minSessionTimeout: " + std::to_string(c.min_session_timeout_ms) +
                         " must not be larger than maxSessionTimeout " +
                         std::to_string(c.max_session_timeout_ms);
      const std::optional<Setting>& at =
          min_session_timeout ? min_session_timeout : max_session_timeout;
      return Status::InvalidArgument(text + (at ? Where(*at) : SourceWhere()));
    }
    return Status::Ok();
  }

  // ZooKeeper's dynamic config file: the server.N lines, kept apart so that reconfig can rewrite
  // them. It is properties text whatever format the main file has, as ZooKeeper writes it.
  Status LoadDynamicConfigFile() {
    const Setting& at = *dynamic_config_file;
    const std::string& path = config_.dynamic_config_file;
    StatusOr<std::string> text = ReadTextFile(path);
    if (!text.ok()) return Fail(at, "cannot read it: " + text.status().message());
    StatusOr<std::vector<ConfigEntry>> entries = ParsePropertiesEntries(text.value());
    if (!entries.ok()) {
      return Status::InvalidArgument("dynamicConfigFile " + path + ": " +
                                     entries.status().message());
    }
    for (const Setting& s : Collect(entries.value(), path)) {
      if (s.canonical == "version") {
        return Fail(s,
                    "must not be in the dynamic config file; ZooKeeper takes the version "
                    "from the file name");
      }
      if (!IsEnsembleKey(s.canonical)) {
        return Fail(s,
                    "is not allowed in the dynamic config file, which holds only server.N, "
                    "group.N and weight.N lines");
      }
      CORRAL_RETURN_IF_ERROR(Apply(s));
    }
    return Status::Ok();
  }

  // ZooKeeper's rules for what the server lines mean: none → standalone; one participant with
  // standaloneEnabled → still standalone (HBase writes such configs); otherwise an ensemble,
  // and this member's id comes from <dataDir>/myid.
  Status ResolveEnsemble() {
    Config& c = config_;
    int participants = 0;
    const ServerLine* first_observer = nullptr;
    for (const auto& [id, line] : servers_) {
      if (!line.spec.observer) {
        ++participants;
      } else if (first_observer == nullptr) {
        first_observer = &line;
      }
    }
    if (participants == 0) {
      if (first_observer != nullptr) {
        return Fail(first_observer->setting,
                    "observers without participants is an invalid configuration");
      }
      if (!c.standalone_enabled) {
        return Status::InvalidArgument(
            "standaloneEnabled: false needs at least one participant server.N line, and there "
            "is none" +
            SourceWhere());
      }
      return RequireStandaloneClientPort();
    }
    if (participants == 1 && c.standalone_enabled) {
      if (first_observer != nullptr) {
        return Fail(first_observer->setting,
                    "observers need an ensemble, but there is one participant and "
                    "standaloneEnabled is true");
      }
      const ServerLine& only = servers_.begin()->second;
      if (c.client_port == 0 && only.spec.client_port != 0) {
        c.client_port = only.spec.client_port;
        if (!only.spec.client_address.empty()) c.client_port_address = only.spec.client_address;
      }
      Warn(only.setting,
           "only one server is configured and standaloneEnabled is true, so this member runs "
           "standalone, as ZooKeeper does (set standaloneEnabled=false for a one-member "
           "ensemble)");
      return RequireStandaloneClientPort();
    }

    for (const auto& [id, line] : servers_) c.servers.push_back(line.spec);
    const Setting& first = servers_.begin()->second.setting;
    if (participants <= 2) {
      Warn(first, std::to_string(participants) +
                      " participants: no server failure will be tolerated; use at least 3");
    } else if (participants % 2 == 0) {
      Warn(first, std::to_string(participants) +
                      " participants: an even count tolerates no more failures than one fewer; "
                      "consider an odd number");
    }
    CORRAL_RETURN_IF_ERROR(ReadMyId());
    const ServerLine& me = servers_.at(c.my_id);
    if (peer_type && peer_type_observer != me.spec.observer) {
      Warn(*peer_type, "peerType " + ToLowerAscii(peer_type->value) + " does not match " +
                           me.setting.key + " (" + (me.spec.observer ? "observer" : "participant") +
                           "); the server line is used, as in ZooKeeper");
    }
    return ResolveEnsembleClientPort(me);
  }

  Status RequireStandaloneClientPort() {
    if (config_.client_port == 0) {
      return Status::InvalidArgument(
          "clientPort: required in standalone mode (no ensemble of server.N lines), but not set" +
          SourceWhere());
    }
    return Status::Ok();
  }

  // The client port may come from clientPort or from this member's server line
  // (`;[address:]port`); when both are given they must agree, as ZooKeeper requires.
  Status ResolveEnsembleClientPort(const ServerLine& me) {
    Config& c = config_;
    const ServerSpec& spec = me.spec;
    if (spec.client_port == 0) {
      if (c.client_port == 0) {
        return Status::InvalidArgument("clientPort: not set, and " + me.setting.key +
                                       " (this member, per myid) gives no client port either; "
                                       "set clientPort or end the line with ;<port>" +
                                       SourceWhere());
      }
      return Status::Ok();
    }
    if (c.client_port != 0 && c.client_port != spec.client_port) {
      return Status::InvalidArgument(
          "clientPort: " + std::to_string(c.client_port) + " differs from the client port " +
          std::to_string(spec.client_port) + " on " + me.setting.key + Where(me.setting));
    }
    if (client_port_address && !spec.client_address.empty() &&
        !IsWildcardAddress(c.client_port_address) && c.client_port_address != spec.client_address) {
      return Fail(*client_port_address, Quote(c.client_port_address) +
                                            " differs from the client address " +
                                            Quote(spec.client_address) + " on " + me.setting.key);
    }
    c.client_port = spec.client_port;
    if (!spec.client_address.empty()) c.client_port_address = spec.client_address;
    return Status::Ok();
  }

  Status ReadMyId() {
    Config& c = config_;
    std::string ids;
    for (const auto& [id, line] : servers_) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    std::string path = (std::filesystem::path(c.data_dir) / "myid").string();
    StatusOr<std::string> text = ReadTextFile(path, 4096);
    if (!text.ok()) {
      if (text.status().code() == Status::Code::kNotFound) {
        return Status::InvalidArgument(
            "myid: " + path +
            " does not exist; with server.N lines every member needs a myid "
            "file in dataDir holding its own server id (one of " +
            ids + ")");
      }
      return Status::InvalidArgument("myid: cannot read it: " + text.status().message());
    }
    // ZooKeeper reads the first line.
    std::string_view content = text.value();
    std::string first_line = Trim(content.substr(0, content.find('\n')));
    std::optional<int64_t> id = ParseDecimal(first_line);
    if (!id || *id <= 0) {
      return Status::InvalidArgument("myid: " + path + " holds " + Quote(first_line) +
                                     "; expected this member's server id, a positive integer");
    }
    if (servers_.count(*id) == 0) {
      return Status::InvalidArgument("myid: " + path + " holds " + std::to_string(*id) +
                                     ", but there is no server." + std::to_string(*id) +
                                     " line (server ids: " + ids + ")");
    }
    c.my_id = *id;
    return Status::Ok();
  }

  const ConfigSource& source_;
  Config config_;
  std::map<int64_t, ServerLine> servers_;
};

// --- The key table: every key Corral gives meaning to. ---

Status ApplySessionTimeout(Builder& b, const Setting& s, int* field, std::optional<Setting>* at) {
  std::optional<int64_t> parsed = ParseDecimal(s.value);
  if (!parsed || *parsed < -1 || *parsed > kInt32Max) {
    return b.Fail(s, "expected -1 (the default) or a non-negative integer, got " + Quote(s.value));
  }
  *field = static_cast<int>(*parsed);
  *at = s;
  return Status::Ok();
}

Status ApplyJuteMaxBuffer(Builder& b, const Setting& s) {
  // ZooKeeper reads it with Integer.decode, so hex (0x…) is common in the wild.
  std::optional<int64_t> value;
  std::string_view text = s.value;
  if (StartsWith(ToLowerAscii(text), "0x") && text.size() > 2) {
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), parsed, 16);
    if (ec == std::errc() && end == text.data() + text.size()) value = parsed;
  } else {
    value = ParseDecimal(text);
  }
  if (!value || *value < 1 || *value > kInt32Max) {
    return b.Fail(
        s, "expected a positive integer (decimal or 0x hex) of bytes, got " + Quote(s.value));
  }
  b.config().jute_max_buffer_bytes = *value;
  return Status::Ok();
}

Status ApplyFourLetterWords(Builder& b, const Setting& s) {
  std::string normalized;
  std::string_view rest = s.value;
  while (true) {
    size_t comma = rest.find(',');
    std::string word = Trim(rest.substr(0, comma));
    if (!word.empty()) {
      bool known = word == "*" ||
                   std::find(std::begin(kFourLetterWords), std::end(kFourLetterWords), word) !=
                       std::end(kFourLetterWords);
      if (!known) b.Warn(s, "unknown four-letter word " + Quote(word) + " in the whitelist");
      normalized += (normalized.empty() ? "" : ",") + word;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  b.config().four_letter_word_whitelist = normalized;
  return Status::Ok();
}

Status ApplySuperDigest(Builder& b, const Setting& s) {
  // Compared verbatim with the digest id "user:base64(sha1(user:password))"; without the colon
  // no login could ever match it, which is surely a mistake.
  size_t colon = s.value.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.value.size()) {
    return b.Fail(s, "expected user:base64(sha1(user:password)), got " + Quote(s.value));
  }
  b.config().super_digest = s.value;
  return Status::Ok();
}

Status ApplyLogLevel(Builder& b, const Setting& s) {
  std::string level = ToLowerAscii(s.value);
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return b.Fail(s, "expected debug, info, warn or error, got " + Quote(s.value));
  }
  b.config().log_level = level;
  return Status::Ok();
}

Status ApplyPeerType(Builder& b, const Setting& s) {
  std::string type = ToLowerAscii(s.value);
  if (type != "observer" && type != "participant") {
    return b.Fail(s, "expected participant or observer, got " + Quote(s.value));
  }
  b.peer_type = s;
  b.peer_type_observer = type == "observer";
  return Status::Ok();
}

Status ApplyElectionAlg(Builder& b, const Setting& s) {
  if (ParseDecimal(s.value) != std::optional<int64_t>(3)) {
    return b.Fail(
        s, "only 3 (fast leader election) is supported, as in ZooKeeper; got " + Quote(s.value));
  }
  return Status::Ok();
}

Status ApplyMetricsProviderClass(Builder& b, const Setting& s) {
  // ZooKeeper's default provider keeps metrics for mntr and the admin API only; so does Corral
  // with any class but Prometheus's (mntr and /commands/monitor work either way).
  b.config().metrics_enabled = s.value == kPrometheusProvider;
  if (!b.config().metrics_enabled && s.value != kDefaultMetricsProvider) {
    b.Warn(s, Quote(s.key) + " " + Quote(s.value) +
                  " is accepted and ignored: Corral serves Prometheus metrics only when "
                  "it names " +
                  std::string(kPrometheusProvider) + ", and no /metrics endpoint otherwise");
  }
  return Status::Ok();
}

Status ApplyAdminCommandUrl(Builder& b, const Setting& s) {
  // Jetty maps "<commandURL>/*"; a trailing '/' would make every command URL "//name".
  std::string url = s.value;
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  if (url.empty() || url.front() != '/' || url == "/") {
    return b.Fail(s, "expected a path starting with '/' such as /commands, got " + Quote(s.value));
  }
  b.config().admin_command_url = url;
  return Status::Ok();
}

const KeyRule kKeyRules[] = {
    // Time and sessions.
    {"tickTime", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().tick_time_ms);
     }},
    {"initLimit", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().init_limit_ticks);
     }},
    {"syncLimit", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().sync_limit_ticks);
     }},
    {"minSessionTimeout", false,
     [](Builder& b, const Setting& s) {
       return ApplySessionTimeout(b, s, &b.config().min_session_timeout_ms, &b.min_session_timeout);
     }},
    {"maxSessionTimeout", false,
     [](Builder& b, const Setting& s) {
       return ApplySessionTimeout(b, s, &b.config().max_session_timeout_ms, &b.max_session_timeout);
     }},
    // Storage.
    {"dataDir", false,
     [](Builder& b, const Setting& s) { return b.SetPath(s, &b.config().data_dir); }},
    {"dataLogDir", false,
     [](Builder& b, const Setting& s) { return b.SetPath(s, &b.config().data_log_dir); }},
    {"snapCount", true,
     [](Builder& b, const Setting& s) {
       int64_t value = 0;
       CORRAL_RETURN_IF_ERROR(b.Int(s, kInt32Min, kInt32Max, &value));
       if (value < kSnapCountMin) {
         b.Warn(s, "snapCount " + std::to_string(value) + " is below " +
                       std::to_string(kSnapCountMin) + "; using " + std::to_string(kSnapCountMin) +
                       ", as ZooKeeper does");
         value = kSnapCountMin;
       }
       b.config().snap_count = value;
       return Status::Ok();
     }},
    {"preAllocSize", true,
     [](Builder& b, const Setting& s) {
       // In KB; bounded so that the size in bytes fits in 64 bits.
       return b.SetInt(s, 1, std::numeric_limits<int64_t>::max() / 1024,
                       &b.config().pre_alloc_size_kb);
     }},
    {"autopurge.snapRetainCount", false,
     [](Builder& b, const Setting& s) {
       int64_t value = 0;
       CORRAL_RETURN_IF_ERROR(b.Int(s, kInt32Min, kInt32Max, &value));
       if (value < kSnapRetainCountMin) {
         b.Warn(s, "autopurge.snapRetainCount " + std::to_string(value) + " is below the minimum " +
                       std::to_string(kSnapRetainCountMin) + "; using " +
                       std::to_string(kSnapRetainCountMin) + ", as ZooKeeper does");
         value = kSnapRetainCountMin;
       }
       b.config().autopurge_snap_retain_count = static_cast<int>(value);
       return Status::Ok();
     }},
    {"autopurge.purgeInterval", false,
     [](Builder& b, const Setting& s) {
       int64_t value = 0;
       CORRAL_RETURN_IF_ERROR(b.Int(s, kInt32Min, kInt32Max, &value));
       if (value < 0) {
         // ZooKeeper treats any value <= 0 as "purge disabled".
         b.Warn(s, "a negative autopurge.purgeInterval disables purging; read as 0");
         value = 0;
       }
       b.config().autopurge_purge_interval_hours = static_cast<int>(value);
       return Status::Ok();
     }},
    // Client listener.
    {"clientPort", false,
     [](Builder& b, const Setting& s) { return b.SetPort(s, &b.config().client_port); }},
    {"clientPortAddress", false,
     [](Builder& b, const Setting& s) {
       b.client_port_address = s;
       return b.SetText(s, &b.config().client_port_address);
     }},
    {"secureClientPort", false,
     [](Builder& b, const Setting& s) { return b.SetPort(s, &b.config().secure_client_port); }},
    {"secureClientPortAddress", false,
     [](Builder& b, const Setting& s) {
       b.secure_client_port_address = s;
       return b.SetText(s, &b.config().secure_client_port_address);
     }},
    {"maxClientCnxns", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 0, kInt32Max, &b.config().max_client_cnxns);
     }},
    {"maxCnxns", true,
     [](Builder& b, const Setting& s) { return b.SetInt(s, 0, kInt32Max, &b.config().max_cnxns); }},
    {"globalOutstandingLimit", true,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().global_outstanding_limit);
     }},
    {"jute.maxbuffer", false, ApplyJuteMaxBuffer},
    // Features.
    {"reconfigEnabled", false,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().reconfig_enabled); }},
    {"standaloneEnabled", false,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().standalone_enabled); }},
    {"extendedTypesEnabled", true,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().extended_types_enabled); }},
    {"localSessionsEnabled", false,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().local_sessions_enabled); }},
    {"readonlymode.enabled", false,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().read_only_mode_enabled); }},
    {"quorumListenOnAllIPs", false,
     [](Builder& b, const Setting& s) {
       return b.SetBool(s, &b.config().quorum_listen_on_all_ips);
     }},
    {"enforceQuota", true,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().enforce_quota); }},
    {"dynamicConfigFile", false,
     [](Builder& b, const Setting& s) {
       b.dynamic_config_file = s;
       return b.SetPath(s, &b.config().dynamic_config_file);
     }},
    {"4lw.commands.whitelist", true, ApplyFourLetterWords},
    {"DigestAuthenticationProvider.superDigest", true, ApplySuperDigest},
    // ZooKeeper reads these two as JVM flags under exactly these names, without "zookeeper.".
    {"znode.container.checkIntervalMs", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().container_check_interval_ms);
     }},
    {"znode.container.maxPerMinute", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().container_max_per_minute);
     }},
    {"commitLogCount", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 1, kInt32Max, &b.config().commit_log_count);
     }},
    {"commitLogBytes", false,
     [](Builder& b, const Setting& s) {
       return b.SetInt(s, 0, int64_t{1} << 40, &b.config().commit_log_bytes);
     }},
    {"logLevel", false, ApplyLogLevel},
    {"logFile", false,
     [](Builder& b, const Setting& s) { return b.SetPath(s, &b.config().log_file); }},
    // Admin and metrics.
    {"admin.enableServer", true,
     [](Builder& b, const Setting& s) { return b.SetBool(s, &b.config().admin_enable_server); }},
    {"admin.serverAddress", true,
     [](Builder& b, const Setting& s) { return b.SetText(s, &b.config().admin_server_address); }},
    {"admin.serverPort", true,
     [](Builder& b, const Setting& s) { return b.SetPort(s, &b.config().admin_server_port); }},
    {"admin.commandURL", true, ApplyAdminCommandUrl},
    {"metricsProvider.httpPort", false,
     [](Builder& b, const Setting& s) { return b.SetPort(s, &b.config().metrics_http_port); }},
    {"metricsProvider.httpHost", false,
     [](Builder& b, const Setting& s) { return b.SetText(s, &b.config().metrics_http_host); }},
    {"metricsProvider.className", false, ApplyMetricsProviderClass},
    // Ensemble (server.N lines are matched by prefix, after this table).
    {"peerType", false, ApplyPeerType},
    {"electionAlg", false, ApplyElectionAlg},
    {"ensembleId", false,
     [](Builder& b, const Setting& s) { return b.SetText(s, &b.config().ensemble_id); }},
};

const KeyRule* FindRule(std::string_view key) {
  for (const KeyRule& rule : kKeyRules) {
    if (rule.name == key) return &rule;
  }
  return nullptr;
}

std::optional<std::string> Builder::NearestKnownKey(const std::string& key) {
  std::string lower = ToLowerAscii(key);
  std::string without_prefix =
      StartsWith(lower, kSystemPropertyPrefix) ? lower.substr(kSystemPropertyPrefix.size()) : lower;
  auto matches = [&](std::string_view name) {
    std::string candidate = ToLowerAscii(name);
    return candidate == lower || candidate == without_prefix;
  };
  for (const KeyRule& rule : kKeyRules) {
    if (matches(rule.name)) return std::string(rule.name);
  }
  for (const IgnoredRule& rule : kIgnoredRules) {
    if (!rule.is_prefix && matches(rule.name)) return std::string(rule.name);
  }
  return std::nullopt;
}

}  // namespace

StatusOr<Config> BuildConfig(const std::vector<ConfigEntry>& entries, const ConfigSource& source) {
  Builder builder(source);
  return builder.Build(entries);
}

}  // namespace corral
