// Config parsing: zoo.cfg (Java properties) and YAML, both through the same key semantics.
#include "config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/properties_parser.h"
#include "config/yaml_parser.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

::testing::AssertionResult Contains(const char* text_expr, const char* needle_expr,
                                    const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text_expr << " does not contain " << needle_expr
                                       << "\n  text:   " << text << "\n  needle: " << needle;
}
#define EXPECT_CONTAINS(text, needle) EXPECT_PRED_FORMAT2(Contains, text, needle)

// A fresh directory per test, removed afterwards; myid and config files are written into it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "corral_config_test_XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = (fs::path(path_) / name).string();
    fs::create_directories(fs::path(file).parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::string path_;
};

// A minimal valid standalone config, to which a test adds the line it is about.
std::string Standalone(const std::string& extra = "") {
  return "dataDir=/var/lib/zk\nclientPort=2181\n" + extra;
}

Config MustParse(const std::string& text, const std::string& base_dir = "") {
  StatusOr<Config> config = ParseProperties(text, base_dir);
  EXPECT_TRUE(config.ok()) << config.status().ToString() << "\nfor:\n" << text;
  return config.ok() ? std::move(config).value() : Config();
}

Config MustParseYaml(const std::string& text, const std::string& base_dir = "") {
  StatusOr<Config> config = ParseYaml(text, base_dir);
  EXPECT_TRUE(config.ok()) << config.status().ToString() << "\nfor:\n" << text;
  return config.ok() ? std::move(config).value() : Config();
}

std::string ErrorOf(const StatusOr<Config>& config) {
  EXPECT_FALSE(config.ok());
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument) << config.status().ToString();
  return config.status().message();
}

std::string ParseError(const std::string& text, const std::string& base_dir = "") {
  return ErrorOf(ParseProperties(text, base_dir));
}

bool HasWarning(const Config& config, const std::string& needle) {
  for (const std::string& w : config.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string AllWarnings(const Config& config) {
  std::string out;
  for (const std::string& w : config.warnings) out += w + "\n";
  return out;
}

std::vector<ConfigEntry> Entries(const std::string& text) {
  StatusOr<std::vector<ConfigEntry>> entries = ParsePropertiesEntries(text);
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  return entries.ok() ? std::move(entries).value() : std::vector<ConfigEntry>();
}

// Every field of Config that parsing sets, compared one by one so a failure names the field.
void ExpectSameConfig(const Config& a, const Config& b) {
  EXPECT_EQ(a.tick_time_ms, b.tick_time_ms);
  EXPECT_EQ(a.init_limit_ticks, b.init_limit_ticks);
  EXPECT_EQ(a.sync_limit_ticks, b.sync_limit_ticks);
  EXPECT_EQ(a.min_session_timeout_ms, b.min_session_timeout_ms);
  EXPECT_EQ(a.max_session_timeout_ms, b.max_session_timeout_ms);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.data_log_dir, b.data_log_dir);
  EXPECT_EQ(a.snap_count, b.snap_count);
  EXPECT_EQ(a.pre_alloc_size_kb, b.pre_alloc_size_kb);
  EXPECT_EQ(a.autopurge_snap_retain_count, b.autopurge_snap_retain_count);
  EXPECT_EQ(a.autopurge_purge_interval_hours, b.autopurge_purge_interval_hours);
  EXPECT_EQ(a.client_port_address, b.client_port_address);
  EXPECT_EQ(a.client_port, b.client_port);
  EXPECT_EQ(a.secure_client_port, b.secure_client_port);
  EXPECT_EQ(a.secure_client_port_address, b.secure_client_port_address);
  EXPECT_EQ(a.max_client_cnxns, b.max_client_cnxns);
  EXPECT_EQ(a.max_cnxns, b.max_cnxns);
  EXPECT_EQ(a.global_outstanding_limit, b.global_outstanding_limit);
  EXPECT_EQ(a.jute_max_buffer_bytes, b.jute_max_buffer_bytes);
  EXPECT_EQ(a.reconfig_enabled, b.reconfig_enabled);
  EXPECT_EQ(a.standalone_enabled, b.standalone_enabled);
  EXPECT_EQ(a.extended_types_enabled, b.extended_types_enabled);
  EXPECT_EQ(a.local_sessions_enabled, b.local_sessions_enabled);
  EXPECT_EQ(a.read_only_mode_enabled, b.read_only_mode_enabled);
  EXPECT_EQ(a.quorum_listen_on_all_ips, b.quorum_listen_on_all_ips);
  EXPECT_EQ(a.enforce_quota, b.enforce_quota);
  EXPECT_EQ(a.dynamic_config_file, b.dynamic_config_file);
  EXPECT_EQ(a.four_letter_word_whitelist, b.four_letter_word_whitelist);
  EXPECT_EQ(a.super_digest, b.super_digest);
  EXPECT_EQ(a.container_check_interval_ms, b.container_check_interval_ms);
  EXPECT_EQ(a.container_max_per_minute, b.container_max_per_minute);
  EXPECT_EQ(a.commit_log_count, b.commit_log_count);
  EXPECT_EQ(a.commit_log_bytes, b.commit_log_bytes);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.admin_enable_server, b.admin_enable_server);
  EXPECT_EQ(a.admin_server_address, b.admin_server_address);
  EXPECT_EQ(a.admin_server_port, b.admin_server_port);
  EXPECT_EQ(a.metrics_http_port, b.metrics_http_port);
  EXPECT_EQ(a.metrics_http_host, b.metrics_http_host);
  EXPECT_EQ(a.my_id, b.my_id);
  EXPECT_EQ(a.ensemble_id, b.ensemble_id);
  ASSERT_EQ(a.servers.size(), b.servers.size());
  for (size_t i = 0; i < a.servers.size(); ++i) {
    EXPECT_EQ(FormatServerSpec(a.servers[i]), FormatServerSpec(b.servers[i]));
    EXPECT_EQ(a.servers[i].id, b.servers[i].id);
  }
  EXPECT_EQ(a.raw, b.raw);
  EXPECT_EQ(a.warnings.size(), b.warnings.size()) << AllWarnings(a) << "---\n" << AllWarnings(b);
}

// ---------------------------------------------------------------------------------------------
// Defaults.

TEST(ConfigDefaults, MinimalStandaloneTakesZooKeeperDefaults) {
  Config c = MustParse(Standalone());
  EXPECT_TRUE(c.standalone());
  EXPECT_EQ(c.tick_time_ms, 2000);
  EXPECT_EQ(c.init_limit_ticks, 10);
  EXPECT_EQ(c.sync_limit_ticks, 5);
  EXPECT_EQ(c.min_session_timeout_ms, 4000);   // 2 x tickTime
  EXPECT_EQ(c.max_session_timeout_ms, 40000);  // 20 x tickTime
  EXPECT_EQ(c.data_dir, "/var/lib/zk");
  EXPECT_EQ(c.data_log_dir, "/var/lib/zk");
  EXPECT_EQ(c.snap_count, 100000);
  EXPECT_EQ(c.pre_alloc_size_kb, 65536);
  EXPECT_EQ(c.autopurge_snap_retain_count, 3);
  EXPECT_EQ(c.autopurge_purge_interval_hours, 0);
  EXPECT_EQ(c.client_port_address, "0.0.0.0");
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.secure_client_port, 0);
  EXPECT_EQ(c.max_client_cnxns, 60);
  EXPECT_EQ(c.max_cnxns, 0);
  EXPECT_EQ(c.global_outstanding_limit, 1000);
  EXPECT_EQ(c.jute_max_buffer_bytes, 1048575);
  EXPECT_FALSE(c.reconfig_enabled);
  EXPECT_TRUE(c.standalone_enabled);
  EXPECT_FALSE(c.extended_types_enabled);
  EXPECT_FALSE(c.local_sessions_enabled);
  EXPECT_FALSE(c.read_only_mode_enabled);
  EXPECT_FALSE(c.quorum_listen_on_all_ips);
  EXPECT_FALSE(c.enforce_quota);
  EXPECT_EQ(c.dynamic_config_file, "");
  EXPECT_EQ(c.four_letter_word_whitelist, "srvr");
  EXPECT_EQ(c.super_digest, "");
  EXPECT_EQ(c.container_check_interval_ms, 60000);
  EXPECT_EQ(c.container_max_per_minute, 10000);
  EXPECT_EQ(c.commit_log_count, 500);
  EXPECT_EQ(c.commit_log_bytes, 4 << 20);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.admin_enable_server);
  EXPECT_EQ(c.admin_server_port, 8080);
  EXPECT_EQ(c.metrics_http_port, 7000);
  EXPECT_EQ(c.my_id, 0);
  EXPECT_TRUE(c.servers.empty());
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
  EXPECT_EQ(c.raw.size(), 2u);
  EXPECT_EQ(c.raw.at("clientPort"), "2181");
}

TEST(ConfigDefaults, SessionTimeoutDefaultsFollowTickTime) {
  Config c = MustParse(Standalone("tickTime=500\n"));
  EXPECT_EQ(c.min_session_timeout_ms, 1000);
  EXPECT_EQ(c.max_session_timeout_ms, 10000);
}

TEST(ConfigDefaults, ExplicitMinusOneMeansDefault) {
  Config c = MustParse(Standalone("minSessionTimeout=-1\nmaxSessionTimeout=-1\n"));
  EXPECT_EQ(c.min_session_timeout_ms, 4000);
  EXPECT_EQ(c.max_session_timeout_ms, 40000);
}

TEST(ConfigDefaults, HugeTickTimeDoesNotOverflowTheDefaults) {
  Config c = MustParse(Standalone("tickTime=2000000000\n"));
  EXPECT_EQ(c.min_session_timeout_ms, 2147483647);
  EXPECT_EQ(c.max_session_timeout_ms, 2147483647);
}

TEST(ConfigDefaults, ExplicitSessionTimeoutsKept) {
  Config c = MustParse(Standalone("minSessionTimeout=1000\nmaxSessionTimeout=90000\n"));
  EXPECT_EQ(c.min_session_timeout_ms, 1000);
  EXPECT_EQ(c.max_session_timeout_ms, 90000);
}

TEST(ConfigDefaults, OnlyMinGivenAboveDefaultMaxIsAnError) {
  // ZooKeeper compares after filling in defaults: 50000 > 20 x 2000.
  std::string error = ParseError(Standalone("minSessionTimeout=50000\n"));
  EXPECT_CONTAINS(error, "minSessionTimeout");
  EXPECT_CONTAINS(error, "maxSessionTimeout");
}

// ---------------------------------------------------------------------------------------------
// Every key.

const char kEveryKey[] = R"(# every key Corral honours, none at its default
tickTime=1000
initLimit=7
syncLimit=3
minSessionTimeout=3000
maxSessionTimeout=30000
dataDir=/data/zk
dataLogDir=/data/zk-log
clientPort=2281
clientPortAddress=127.0.0.1
secureClientPort=2282
secureClientPortAddress=127.0.0.2
snapCount=5000
preAllocSize=1024
autopurge.snapRetainCount=5
autopurge.purgeInterval=12
maxClientCnxns=0
maxCnxns=500
globalOutstandingLimit=2000
jute.maxbuffer=4194304
reconfigEnabled=true
standaloneEnabled=true
extendedTypesEnabled=true
localSessionsEnabled=true
readonlymode.enabled=true
quorumListenOnAllIPs=true
enforceQuota=true
4lw.commands.whitelist=srvr, ruok ,mntr
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
znode.container.checkIntervalMs=1000
znode.container.maxPerMinute=50
commitLogCount=700
commitLogBytes=1048576
logLevel=DEBUG
admin.enableServer=false
admin.serverAddress=127.0.0.3
admin.serverPort=8081
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpPort=7001
metricsProvider.httpHost=127.0.0.4
electionAlg=3
ensembleId=prod-east
)";

TEST(ConfigKeys, EveryKeyIsApplied) {
  Config c = MustParse(kEveryKey);
  EXPECT_EQ(c.tick_time_ms, 1000);
  EXPECT_EQ(c.init_limit_ticks, 7);
  EXPECT_EQ(c.sync_limit_ticks, 3);
  EXPECT_EQ(c.min_session_timeout_ms, 3000);
  EXPECT_EQ(c.max_session_timeout_ms, 30000);
  EXPECT_EQ(c.data_dir, "/data/zk");
  EXPECT_EQ(c.data_log_dir, "/data/zk-log");
  EXPECT_EQ(c.client_port, 2281);
  EXPECT_EQ(c.client_port_address, "127.0.0.1");
  EXPECT_EQ(c.secure_client_port, 2282);
  EXPECT_EQ(c.secure_client_port_address, "127.0.0.2");
  EXPECT_EQ(c.snap_count, 5000);
  EXPECT_EQ(c.pre_alloc_size_kb, 1024);
  EXPECT_EQ(c.autopurge_snap_retain_count, 5);
  EXPECT_EQ(c.autopurge_purge_interval_hours, 12);
  EXPECT_EQ(c.max_client_cnxns, 0);
  EXPECT_EQ(c.max_cnxns, 500);
  EXPECT_EQ(c.global_outstanding_limit, 2000);
  EXPECT_EQ(c.jute_max_buffer_bytes, 4194304);
  EXPECT_TRUE(c.reconfig_enabled);
  EXPECT_TRUE(c.standalone_enabled);
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_TRUE(c.local_sessions_enabled);
  EXPECT_TRUE(c.read_only_mode_enabled);
  EXPECT_TRUE(c.quorum_listen_on_all_ips);
  EXPECT_TRUE(c.enforce_quota);
  EXPECT_EQ(c.four_letter_word_whitelist, "srvr,ruok,mntr");
  EXPECT_EQ(c.super_digest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_EQ(c.container_check_interval_ms, 1000);
  EXPECT_EQ(c.container_max_per_minute, 50);
  EXPECT_EQ(c.commit_log_count, 700);
  EXPECT_EQ(c.commit_log_bytes, 1048576);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_FALSE(c.admin_enable_server);
  EXPECT_EQ(c.admin_server_address, "127.0.0.3");
  EXPECT_EQ(c.admin_server_port, 8081);
  EXPECT_EQ(c.metrics_http_port, 7001);
  EXPECT_EQ(c.metrics_http_host, "127.0.0.4");
  EXPECT_TRUE(c.metrics_enabled);
  EXPECT_EQ(c.ensemble_id, "prod-east");
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
  EXPECT_EQ(c.raw.at("4lw.commands.whitelist"), "srvr, ruok ,mntr");
}

TEST(ConfigKeys, SystemPropertySpellingsAreAliases) {
  // ZooKeeper reads these as the system properties "zookeeper.<key>"; both spellings work.
  Config c =
      MustParse(Standalone("zookeeper.extendedTypesEnabled=true\n"
                           "zookeeper.enforceQuota=true\n"
                           "zookeeper.DigestAuthenticationProvider.superDigest=super:abc=\n"
                           "zookeeper.4lw.commands.whitelist=*\n"
                           "zookeeper.snapCount=10\n"
                           "zookeeper.admin.serverPort=9090\n"));
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_TRUE(c.enforce_quota);
  EXPECT_EQ(c.super_digest, "super:abc=");
  EXPECT_EQ(c.four_letter_word_whitelist, "*");
  EXPECT_EQ(c.snap_count, 10);
  EXPECT_EQ(c.admin_server_port, 9090);
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
  EXPECT_EQ(c.raw.at("zookeeper.enforceQuota"), "true");
}

TEST(ConfigKeys, PrefixIsNotAnAliasForKeysZooKeeperParsesItself) {
  // zookeeper.tickTime is not tickTime in ZooKeeper either: it stays an unknown property.
  Config c = MustParse(Standalone("zookeeper.tickTime=10\n"));
  EXPECT_EQ(c.tick_time_ms, 2000);
  EXPECT_TRUE(HasWarning(c, "zookeeper.zookeeper.tickTime")) << AllWarnings(c);
  EXPECT_TRUE(HasWarning(c, "did you mean \"tickTime\"")) << AllWarnings(c);
}

TEST(ConfigKeys, ContainerKeysHaveNoPrefixedSpelling) {
  // ZooKeeper reads znode.container.* as JVM flags under exactly that name.
  Config c = MustParse(Standalone("zookeeper.znode.container.checkIntervalMs=5\n"));
  EXPECT_EQ(c.container_check_interval_ms, 60000);
  EXPECT_TRUE(HasWarning(c, "did you mean \"znode.container.checkIntervalMs\"")) << AllWarnings(c);
}

TEST(ConfigKeys, BooleansIgnoreCase) {
  Config c =
      MustParse(Standalone("reconfigEnabled=TRUE\nenforceQuota=True\nadmin.enableServer=FaLsE\n"));
  EXPECT_TRUE(c.reconfig_enabled);
  EXPECT_TRUE(c.enforce_quota);
  EXPECT_FALSE(c.admin_enable_server);
}

TEST(ConfigKeys, JuteMaxBufferAcceptsHexAsIntegerDecodeDoes) {
  EXPECT_EQ(MustParse(Standalone("jute.maxbuffer=0xfffff\n")).jute_max_buffer_bytes, 0xfffff);
  EXPECT_EQ(MustParse(Standalone("jute.maxbuffer=0X400000\n")).jute_max_buffer_bytes, 0x400000);
  EXPECT_CONTAINS(ParseError(Standalone("jute.maxbuffer=0x\n")), "jute.maxbuffer");
  EXPECT_CONTAINS(ParseError(Standalone("jute.maxbuffer=0xZZ\n")), "jute.maxbuffer");
}

TEST(ConfigKeys, IntegersAcceptAPlusSignLikeJava) {
  EXPECT_EQ(MustParse(Standalone("tickTime=+300\n")).tick_time_ms, 300);
}

TEST(ConfigKeys, SnapRetainCountBelowThreeIsRaisedWithAWarning) {
  Config c = MustParse(Standalone("autopurge.snapRetainCount=1\n"));
  EXPECT_EQ(c.autopurge_snap_retain_count, 3);
  EXPECT_TRUE(HasWarning(c, "autopurge.snapRetainCount")) << AllWarnings(c);
}

TEST(ConfigKeys, SnapCountBelowTwoIsRaisedWithAWarning) {
  Config c = MustParse(Standalone("snapCount=0\n"));
  EXPECT_EQ(c.snap_count, 2);
  EXPECT_TRUE(HasWarning(c, "snapCount")) << AllWarnings(c);
}

TEST(ConfigKeys, NegativePurgeIntervalMeansDisabled) {
  Config c = MustParse(Standalone("autopurge.purgeInterval=-5\n"));
  EXPECT_EQ(c.autopurge_purge_interval_hours, 0);
  EXPECT_TRUE(HasWarning(c, "autopurge.purgeInterval")) << AllWarnings(c);
}

TEST(ConfigKeys, FourLetterWordWhitelistIsNormalizedAndUnknownWordsWarn) {
  Config c = MustParse(Standalone("4lw.commands.whitelist= stat , ruok,,bogs \n"));
  EXPECT_EQ(c.four_letter_word_whitelist, "stat,ruok,bogs");
  EXPECT_TRUE(HasWarning(c, "\"bogs\"")) << AllWarnings(c);
  EXPECT_EQ(MustParse(Standalone("4lw.commands.whitelist=\n")).four_letter_word_whitelist, "");
}

TEST(ConfigKeys, LogLevelIsLowerCased) {
  EXPECT_EQ(MustParse(Standalone("logLevel=Warn\n")).log_level, "warn");
  EXPECT_EQ(MustParse(Standalone("logLevel=error\n")).log_level, "error");
}

TEST(ConfigKeys, PeerTypeAcceptedInStandalone) {
  Config c = MustParse(Standalone("peerType=OBSERVER\n"));
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
}

// ---------------------------------------------------------------------------------------------
// Paths.

TEST(ConfigPaths, RelativePathsResolveAgainstBaseDir) {
  Config c = MustParse("dataDir=data\ndataLogDir=./logs/\nclientPort=2181\n", "/etc/zk");
  EXPECT_EQ(c.data_dir, "/etc/zk/data");
  EXPECT_EQ(c.data_log_dir, "/etc/zk/logs");
}

TEST(ConfigPaths, AbsolutePathsAreKept) {
  Config c = MustParse("dataDir=/srv/zk//data/\nclientPort=2181\n", "/etc/zk");
  EXPECT_EQ(c.data_dir, "/srv/zk/data");
}

TEST(ConfigPaths, DataLogDirDefaultsToTheResolvedDataDir) {
  Config c = MustParse("dataDir=../data\nclientPort=2181\n", "/etc/zk");
  EXPECT_EQ(c.data_dir, "/etc/data");
  EXPECT_EQ(c.data_log_dir, "/etc/data");
}

TEST(ConfigPaths, WithoutBaseDirRelativePathsStayRelative) {
  EXPECT_EQ(MustParse("dataDir=data\nclientPort=2181\n").data_dir, "data");
}

// ---------------------------------------------------------------------------------------------
// Properties syntax, as java.util.Properties reads it.

TEST(PropertiesSyntax, ThreeSeparatorsAndSurroundingBlanks) {
  std::vector<ConfigEntry> e = Entries("a=1\nb: 2\nc 3\n  d  =  4  \ne\t:\t5\nf    6\n");
  ASSERT_EQ(e.size(), 6u);
  const char* keys[] = {"a", "b", "c", "d", "e", "f"};
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(e[i].key, keys[i]);
    EXPECT_EQ(e[i].value, std::to_string(i + 1));
    EXPECT_EQ(e[i].line, static_cast<int>(i + 1));
  }
}

TEST(PropertiesSyntax, OnlyTheFirstSeparatorSplits) {
  std::vector<ConfigEntry> e = Entries("a=b=c\nx==y\nhost:port:extra\nk = :v\n");
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].value, "b=c");
  EXPECT_EQ(e[1].value, "=y");
  EXPECT_EQ(e[2].key, "host");
  EXPECT_EQ(e[2].value, "port:extra");
  EXPECT_EQ(e[3].value, ":v");  // a blank then '=' consumed one separator; ':' is value
}

TEST(PropertiesSyntax, KeyWithoutValue) {
  std::vector<ConfigEntry> e = Entries("lonely\nempty=\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].key, "lonely");
  EXPECT_EQ(e[0].value, "");
  EXPECT_EQ(e[1].value, "");
}

TEST(PropertiesSyntax, CommentsAndBlankLines) {
  std::vector<ConfigEntry> e =
      Entries("# hash\n! bang\n   # indented\n\n \t \na=1 # not a comment\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "a");
  EXPECT_EQ(e[0].value, "1 # not a comment");
  EXPECT_EQ(e[0].line, 6);
}

TEST(PropertiesSyntax, BackslashContinuesALine) {
  std::vector<ConfigEntry> e = Entries("a=one, \\\n     two, \\\n\tthree\nb=2\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].value, "one, two, three");
  EXPECT_EQ(e[0].line, 1);
  EXPECT_EQ(e[1].key, "b");
  EXPECT_EQ(e[1].line, 4);
}

TEST(PropertiesSyntax, ContinuedKey) {
  std::vector<ConfigEntry> e = Entries("tick\\\n  Time=5\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "tickTime");
  EXPECT_EQ(e[0].value, "5");
}

TEST(PropertiesSyntax, EscapedBackslashAtEndDoesNotContinue) {
  std::vector<ConfigEntry> e = Entries("a=C:\\\\\nb=2\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].value, "C:\\");
  EXPECT_EQ(e[1].key, "b");
}

TEST(PropertiesSyntax, ThreeBackslashesContinue) {
  std::vector<ConfigEntry> e = Entries("a=x\\\\\\\ny\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "x\\y");
}

TEST(PropertiesSyntax, CarriedBackslashDoesNotPairWithTheNextLine) {
  // "x\\" + continuation, then a line holding one backslash + continuation: Java reads the
  // second line's backslash on its own, so it also continues.
  std::vector<ConfigEntry> e = Entries("a=x\\\\\\\n\\\nz\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "x\\z");
}

TEST(PropertiesSyntax, ContinuationAtEndOfFileIsDropped) {
  std::vector<ConfigEntry> e = Entries("a=tail\\");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "tail");
}

TEST(PropertiesSyntax, EmptyContinuationLineEndsTheEntry) {
  std::vector<ConfigEntry> e = Entries("a=1\\\n\nb=2\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].value, "1");
  EXPECT_EQ(e[1].key, "b");
}

TEST(PropertiesSyntax, CommentLinesNeverContinue) {
  std::vector<ConfigEntry> e = Entries("# comment \\\na=1\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "a");
}

TEST(PropertiesSyntax, ContinuationLineStartingWithHashIsContent) {
  std::vector<ConfigEntry> e = Entries("a=1\\\n#2\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "1#2");
}

TEST(PropertiesSyntax, CrLfAndCrLineEndings) {
  std::vector<ConfigEntry> e = Entries("a=1\r\nb=2\rc=3\\\r\n  4\r\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].value, "1");
  EXPECT_EQ(e[1].value, "2");
  EXPECT_EQ(e[1].line, 2);
  EXPECT_EQ(e[2].value, "34");
  EXPECT_EQ(e[2].line, 3);
}

TEST(PropertiesSyntax, Escapes) {
  std::vector<ConfigEntry> e =
      Entries("a\\=b=c\nk\\:x\\ y=v\nt=1\\t2\\n3\\r4\\f5\nu=\\u0041\\u00e9\\u20AC\nq=\\q\\#\n");
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].key, "a=b");
  EXPECT_EQ(e[0].value, "c");
  EXPECT_EQ(e[1].key, "k:x y");
  EXPECT_EQ(e[2].value, "1\t2\n3\r4\f5");
  EXPECT_EQ(e[3].value, "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(e[4].value, "q#");
}

TEST(PropertiesSyntax, SurrogatePairBecomesOneUtf8Character) {
  std::vector<ConfigEntry> e = Entries("s=\\uD83D\\uDE00\nlone=\\uD83Dx\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].value, "\xF0\x9F\x98\x80");
  EXPECT_EQ(e[1].value, "\xEF\xBF\xBDx");
}

TEST(PropertiesSyntax, MalformedUnicodeEscapeIsAnError) {
  StatusOr<std::vector<ConfigEntry>> e = ParsePropertiesEntries("\n\ntickTime=\\u12G4\n");
  ASSERT_FALSE(e.ok());
  EXPECT_CONTAINS(e.status().message(), "tickTime");
  EXPECT_CONTAINS(e.status().message(), "line 3");
  EXPECT_FALSE(ParsePropertiesEntries("k\\u12=1\n").ok());
  EXPECT_FALSE(ParsePropertiesEntries("k=\\u12").ok());
}

TEST(PropertiesSyntax, TrailingBlanksAreTrimmedAsZooKeeperDoes) {
  std::vector<ConfigEntry> e = Entries("a = value with spaces   \t\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "value with spaces");
}

TEST(PropertiesSyntax, NoFinalNewline) {
  std::vector<ConfigEntry> e = Entries("a=1\nb=2");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1].value, "2");
}

TEST(PropertiesSyntax, LaterKeysOverrideEarlierWithAWarning) {
  Config c = MustParse(Standalone("tickTime=100\ntickTime=300\n"));
  EXPECT_EQ(c.tick_time_ms, 300);
  EXPECT_EQ(c.raw.at("tickTime"), "300");
  EXPECT_TRUE(HasWarning(c, "overrides")) << AllWarnings(c);
  EXPECT_TRUE(HasWarning(c, "line 4")) << AllWarnings(c);
}

TEST(PropertiesSyntax, AliasOverridesTheOtherSpelling) {
  Config c = MustParse(Standalone("enforceQuota=true\nzookeeper.enforceQuota=false\n"));
  EXPECT_FALSE(c.enforce_quota);
  EXPECT_TRUE(HasWarning(c, "overrides")) << AllWarnings(c);
}

TEST(PropertiesSyntax, ContinuationInsideARealConfig) {
  Config c = MustParse(Standalone("4lw.commands.whitelist=srvr, \\\n    ruok, \\\n    mntr\n"));
  EXPECT_EQ(c.four_letter_word_whitelist, "srvr,ruok,mntr");
}

// ---------------------------------------------------------------------------------------------
// Bad values: every error names its key.

struct BadCase {
  const char* lines;  // added to a valid standalone config
  const char* key;    // must appear in the message
  const char* reason;
};

class ConfigBadValue : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigBadValue, MessageNamesTheKeyAndTheReason) {
  const BadCase& bad = GetParam();
  std::string error = ParseError(Standalone(bad.lines));
  EXPECT_CONTAINS(error, bad.key);
  EXPECT_CONTAINS(error, bad.reason);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ConfigBadValue,
    ::testing::Values(
        BadCase{"tickTime=abc\n", "tickTime", "expected a positive integer, got \"abc\""},
        BadCase{"tickTime=0\n", "tickTime", "positive integer"},
        BadCase{"tickTime=-5\n", "tickTime", "positive integer"},
        BadCase{"tickTime=\n", "tickTime", "got \"\""},
        BadCase{"tickTime=1.5\n", "tickTime", "positive integer"},
        BadCase{"tickTime=99999999999\n", "tickTime", "positive integer"},
        BadCase{"tickTime=12ms\n", "tickTime", "\"12ms\""},
        BadCase{"initLimit=0\n", "initLimit", "positive integer"},
        BadCase{"syncLimit=x\n", "syncLimit", "positive integer"},
        BadCase{"minSessionTimeout=-2\n", "minSessionTimeout", "-1 (the default)"},
        BadCase{"maxSessionTimeout=lots\n", "maxSessionTimeout", "-1 (the default)"},
        BadCase{"minSessionTimeout=9000\nmaxSessionTimeout=8000\n", "minSessionTimeout",
                "must not be larger than maxSessionTimeout"},
        BadCase{"clientPort=0\n", "clientPort", "from 1 to 65535"},
        BadCase{"clientPort=65536\n", "clientPort", "from 1 to 65535"},
        BadCase{"clientPort=http\n", "clientPort", "\"http\""},
        BadCase{"clientPortAddress=\n", "clientPortAddress", "empty"},
        BadCase{"secureClientPort=70000\n", "secureClientPort", "from 1 to 65535"},
        BadCase{"secureClientPortAddress=::1\n", "secureClientPortAddress",
                "secureClientPort is not"},
        BadCase{"dataDir=\n", "dataDir", "empty"}, BadCase{"dataLogDir=\n", "dataLogDir", "empty"},
        BadCase{"snapCount=many\n", "snapCount", "integer"},
        BadCase{"preAllocSize=0\n", "preAllocSize", "positive integer"},
        BadCase{"autopurge.snapRetainCount=three\n", "autopurge.snapRetainCount", "integer"},
        BadCase{"autopurge.purgeInterval=1h\n", "autopurge.purgeInterval", "integer"},
        BadCase{"maxClientCnxns=-1\n", "maxClientCnxns", "non-negative integer"},
        BadCase{"maxCnxns=-1\n", "maxCnxns", "non-negative integer"},
        BadCase{"globalOutstandingLimit=0\n", "globalOutstandingLimit", "positive integer"},
        BadCase{"jute.maxbuffer=0\n", "jute.maxbuffer", "positive integer"},
        BadCase{"jute.maxbuffer=1M\n", "jute.maxbuffer", "\"1M\""},
        BadCase{"reconfigEnabled=yes\n", "reconfigEnabled", "expected true or false, got \"yes\""},
        BadCase{"standaloneEnabled=1\n", "standaloneEnabled", "true or false"},
        BadCase{"extendedTypesEnabled=on\n", "extendedTypesEnabled", "true or false"},
        BadCase{"zookeeper.extendedTypesEnabled=ture\n", "zookeeper.extendedTypesEnabled",
                "true or false"},
        BadCase{"localSessionsEnabled=\n", "localSessionsEnabled", "true or false"},
        BadCase{"readonlymode.enabled=no\n", "readonlymode.enabled", "true or false"},
        BadCase{"quorumListenOnAllIPs=y\n", "quorumListenOnAllIPs", "true or false"},
        BadCase{"enforceQuota=enabled\n", "enforceQuota", "true or false"},
        BadCase{"zookeeper.enforceQuota=1\n", "zookeeper.enforceQuota", "true or false"},
        BadCase{"DigestAuthenticationProvider.superDigest=nocolon\n",
                "DigestAuthenticationProvider.superDigest", "user:base64"},
        BadCase{"zookeeper.DigestAuthenticationProvider.superDigest=super:\n",
                "zookeeper.DigestAuthenticationProvider.superDigest", "user:base64"},
        BadCase{"znode.container.checkIntervalMs=0\n", "znode.container.checkIntervalMs",
                "positive integer"},
        BadCase{"commitLogCount=0\n", "commitLogCount", "positive integer"},
        BadCase{"commitLogBytes=-1\n", "commitLogBytes", "integer"},
        BadCase{"znode.container.maxPerMinute=x\n", "znode.container.maxPerMinute",
                "positive integer"},
        BadCase{"logLevel=verbose\n", "logLevel", "debug, info, warn or error"},
        BadCase{"admin.enableServer=maybe\n", "admin.enableServer", "true or false"},
        BadCase{"admin.serverAddress=\n", "admin.serverAddress", "empty"},
        BadCase{"admin.serverPort=0\n", "admin.serverPort", "from 1 to 65535"},
        BadCase{"metricsProvider.httpPort=99999\n", "metricsProvider.httpPort", "from 1 to 65535"},
        BadCase{"metricsProvider.httpHost=\n", "metricsProvider.httpHost", "empty"},
        BadCase{"peerType=leader\n", "peerType", "participant or observer"},
        BadCase{"electionAlg=0\n", "electionAlg", "only 3"},
        BadCase{"server.1=host:2888\n", "server.1", "host:quorumPort:electionPort"},
        BadCase{"server.x=h:1:2\n", "server.x", "positive integer"}));

TEST(ConfigErrors, ErrorsCarryTheLine) {
  std::string error = ParseError("dataDir=/d\n\n# comment\ntickTime=abc\nclientPort=1\n");
  EXPECT_EQ(error, "tickTime: expected a positive integer, got \"abc\" (line 4)");
}

TEST(ConfigErrors, DataDirIsRequired) {
  std::string error = ParseError("clientPort=2181\n");
  EXPECT_CONTAINS(error, "dataDir");
  EXPECT_CONTAINS(error, "required");
}

TEST(ConfigErrors, StandaloneNeedsAClientPort) {
  std::string error = ParseError("dataDir=/d\n");
  EXPECT_CONTAINS(error, "clientPort");
  EXPECT_CONTAINS(error, "standalone");
}

TEST(ConfigErrors, ClientPortAddressWithoutClientPort) {
  std::string error = ParseError("dataDir=/d\nclientPortAddress=127.0.0.1\n");
  EXPECT_CONTAINS(error, "clientPortAddress");
  EXPECT_CONTAINS(error, "clientPort is not");
}

TEST(ConfigErrors, StandaloneDisabledWithoutServers) {
  std::string error = ParseError(Standalone("standaloneEnabled=false\n"));
  EXPECT_CONTAINS(error, "standaloneEnabled");
}

TEST(ConfigErrors, EmptyInputIsMissingDataDir) { EXPECT_CONTAINS(ParseError(""), "dataDir"); }

// ---------------------------------------------------------------------------------------------
// Unknown keys and keys that mean nothing here: warnings, never errors.

TEST(ConfigWarnings, UnknownKeyIsKeptAndReported) {
  Config c = MustParse(Standalone("foo.bar=baz\n"));
  EXPECT_EQ(c.raw.at("foo.bar"), "baz");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "unknown key \"foo.bar\" kept as property zookeeper.foo.bar (line 3)");
}

TEST(ConfigWarnings, MisspelledKeySuggestsTheRightOne) {
  Config c = MustParse(Standalone("ticktime=100\n"));
  EXPECT_EQ(c.tick_time_ms, 2000);
  EXPECT_TRUE(HasWarning(c, "did you mean \"tickTime\"")) << AllWarnings(c);
}

TEST(ConfigWarnings, JavaClassNamesAndJavaOnlySettingsAreIgnored) {
  const char* lines[] = {
      "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
      "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
      "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
      "zookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
      "metricsProvider.className=org.apache.zookeeper.metrics.impl.NullMetricsProvider",
      "metricsProvider.exportJvmInfo=false",
      "ssl.keyStore.location=/etc/zk/keystore.jks",
      "ssl.quorum.trustStore.password=secret",
      "zookeeper.ssl.hostnameVerification=false",
      "sslQuorum=true",
      "portUnification=true",
      "quorum.auth.enableSasl=true",
      "jvm.pause.monitor=true",
      "quorum.cnxn.threads.size=20",
      "multiAddress.enabled=true",
      "syncEnabled=true",
      "observerMasterPort=2191",
      "connectToLearnerMasterLimit=5",
      "clientPortListenBacklog=100",
      "localSessionsUpgradingEnabled=true",
      "oraclePath=/oracle",
  };
  for (const char* line : lines) {
    Config c = MustParse(Standalone(std::string(line) + "\n"));
    ASSERT_EQ(c.warnings.size(), 1u) << line << "\n" << AllWarnings(c);
    EXPECT_CONTAINS(c.warnings[0], "ignored") << line;
    std::string key(line, std::string(line).find('='));
    EXPECT_CONTAINS(c.warnings[0], key);
    EXPECT_EQ(c.raw.count(key), 1u);
  }
}

TEST(ConfigWarnings, PrometheusProviderIsHonouredSilently) {
  Config c =
      MustParse(Standalone("metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
                           "PrometheusMetricsProvider\nmetricsProvider.httpPort=7070\n"));
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
  EXPECT_EQ(c.metrics_http_port, 7070);
}

TEST(ConfigWarnings, HierarchicalQuorumKeysAreIgnored) {
  Config c = MustParse(Standalone("group.1=1:2:3\nweight.1=1\n"));
  EXPECT_EQ(c.warnings.size(), 2u) << AllWarnings(c);
  EXPECT_TRUE(HasWarning(c, "hierarchical")) << AllWarnings(c);
}

TEST(ConfigWarnings, EmptyKeyIsIgnoredWithAWarning) {
  Config c = MustParse(Standalone("=orphan\n"));
  EXPECT_TRUE(HasWarning(c, "empty key")) << AllWarnings(c);
}

// ---------------------------------------------------------------------------------------------
// server.N lines.

TEST(ServerSpecParse, PlainLine) {
  StatusOr<ServerSpec> s = ParseServerSpec(3, "zk3.example.com:2888:3888");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, 3);
  EXPECT_EQ(s->host, "zk3.example.com");
  EXPECT_EQ(s->quorum_port, 2888);
  EXPECT_EQ(s->election_port, 3888);
  EXPECT_FALSE(s->observer);
  EXPECT_EQ(s->client_address, "");
  EXPECT_EQ(s->client_port, 0);
}

TEST(ServerSpecParse, RolesIgnoreCase) {
  EXPECT_TRUE(ParseServerSpec(1, "h:1:2:observer")->observer);
  EXPECT_TRUE(ParseServerSpec(1, "h:1:2:OBSERVER")->observer);
  EXPECT_FALSE(ParseServerSpec(1, "h:1:2:participant")->observer);
  EXPECT_FALSE(ParseServerSpec(1, "h:1:2:Participant")->observer);
}

TEST(ServerSpecParse, ClientPortAlone) {
  StatusOr<ServerSpec> s = ParseServerSpec(1, "h:2888:3888;2181");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->client_port, 2181);
  EXPECT_EQ(s->client_address, "");
}

TEST(ServerSpecParse, ClientAddressAndPort) {
  StatusOr<ServerSpec> s = ParseServerSpec(1, "h:2888:3888:participant;10.0.0.1:2181");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->client_address, "10.0.0.1");
  EXPECT_EQ(s->client_port, 2181);
}

TEST(ServerSpecParse, Ipv6InBrackets) {
  StatusOr<ServerSpec> s = ParseServerSpec(2, "[2001:db8::1]:2888:3888:observer;[::1]:2181");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->host, "2001:db8::1");
  EXPECT_EQ(s->quorum_port, 2888);
  EXPECT_EQ(s->election_port, 3888);
  EXPECT_TRUE(s->observer);
  EXPECT_EQ(s->client_address, "::1");
  EXPECT_EQ(s->client_port, 2181);
  EXPECT_EQ(FormatServerSpec(*s), "[2001:db8::1]:2888:3888:observer;[::1]:2181");
}

TEST(ServerSpecParse, TrailingSemicolonMeansNoClientPart) {
  StatusOr<ServerSpec> s = ParseServerSpec(1, "h:1:2;");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->client_port, 0);
}

TEST(ServerSpecParse, FormatRoundTrips) {
  ServerSpec s;
  s.id = 1;
  s.host = "zk1";
  s.quorum_port = 2888;
  s.election_port = 3888;
  EXPECT_EQ(FormatServerSpec(s), "zk1:2888:3888:participant");
  s.client_port = 2181;
  EXPECT_EQ(FormatServerSpec(s), "zk1:2888:3888:participant;0.0.0.0:2181");
  StatusOr<ServerSpec> back = ParseServerSpec(1, FormatServerSpec(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->host, "zk1");
  EXPECT_EQ(back->client_address, "0.0.0.0");
  EXPECT_EQ(back->client_port, 2181);
}

class ServerSpecBad : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ServerSpecBad, IsRejectedWithAReason) {
  StatusOr<ServerSpec> s = ParseServerSpec(1, GetParam().first);
  ASSERT_FALSE(s.ok()) << GetParam().first;
  EXPECT_CONTAINS(s.status().message(), GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ServerSpecBad,
    ::testing::Values(std::make_pair("", "expected host:quorumPort"),
                      std::make_pair("host", "expected host:quorumPort"),
                      std::make_pair("host:2888", "expected host:quorumPort"),
                      std::make_pair("host:1:2:participant:extra", "expected host:quorumPort"),
                      std::make_pair(":2888:3888", "host"),
                      std::make_pair("host:x:3888", "quorum port"),
                      std::make_pair("host:0:3888", "quorum port"),
                      std::make_pair("host:2888:65536", "election port"),
                      std::make_pair("host:2888:", "election port"),
                      std::make_pair("host: 2888:3888", "quorum port"),
                      std::make_pair("host:2888:2888", "must differ"),
                      std::make_pair("host:1:2:voter", "participant or observer"),
                      std::make_pair("host:1:2;3;4", "expected host:quorumPort"),
                      std::make_pair("host:1:2;a:b:3", "expected host:quorumPort"),
                      std::make_pair("host:1:2;abc", "client port"),
                      std::make_pair("host:1:2;:2181", "client address"),
                      std::make_pair("host:1:2;70000", "client port"),
                      std::make_pair("a:1:2|b:1:2", "'|'"),
                      std::make_pair("[::1:2888:3888", "no matching"),
                      std::make_pair("2001:db8::1:2888:3888", "expected host:quorumPort")));

// An ensemble needs dataDir/myid, so these tests use a real directory.
class EnsembleConfig : public ::testing::Test {
 protected:
  std::string Base(const std::string& extra = "") const {
    return "dataDir=" + dir_.path() + "\n" +
           "server.1=zk1:2888:3888\n"
           "server.2=zk2:2888:3888\n"
           "server.3=zk3:2888:3888\n" +
           extra;
  }
  void WriteMyId(const std::string& content) const { dir_.Write("myid", content); }
  TempDir dir_;
};

TEST_F(EnsembleConfig, ThreeMembers) {
  WriteMyId("2\n");
  Config c = MustParse(Base("clientPort=2181\n"));
  EXPECT_FALSE(c.standalone());
  EXPECT_EQ(c.my_id, 2);
  ASSERT_EQ(c.servers.size(), 3u);
  EXPECT_EQ(c.servers[0].id, 1);
  EXPECT_EQ(c.servers[1].host, "zk2");
  EXPECT_EQ(c.servers[2].election_port, 3888);
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
  EXPECT_EQ(c.raw.at("server.3"), "zk3:2888:3888");
}

TEST_F(EnsembleConfig, ServersAreSortedById) {
  WriteMyId("10");
  Config c = MustParse("dataDir=" + dir_.path() +
                       "\nclientPort=2181\nserver.10=a:1:2\nserver.2=b:1:2\nserver.7=c:1:2\n");
  ASSERT_EQ(c.servers.size(), 3u);
  EXPECT_EQ(c.servers[0].id, 2);
  EXPECT_EQ(c.servers[1].id, 7);
  EXPECT_EQ(c.servers[2].id, 10);
}

TEST_F(EnsembleConfig, MyIdToleratesSurroundingWhitespace) {
  WriteMyId("  3 \n\n");
  EXPECT_EQ(MustParse(Base("clientPort=2181\n")).my_id, 3);
}

TEST_F(EnsembleConfig, MissingMyIdFile) {
  std::string error = ParseError(Base("clientPort=2181\n"));
  EXPECT_CONTAINS(error, "myid");
  EXPECT_CONTAINS(error, "does not exist");
  EXPECT_CONTAINS(error, "1, 2, 3");
}

TEST_F(EnsembleConfig, MyIdNotANumber) {
  WriteMyId("two\n");
  std::string error = ParseError(Base("clientPort=2181\n"));
  EXPECT_CONTAINS(error, "myid");
  EXPECT_CONTAINS(error, "\"two\"");
}

TEST_F(EnsembleConfig, MyIdEmpty) {
  WriteMyId("");
  EXPECT_CONTAINS(ParseError(Base("clientPort=2181\n")), "myid");
}

TEST_F(EnsembleConfig, MyIdNotAServer) {
  WriteMyId("4\n");
  std::string error = ParseError(Base("clientPort=2181\n"));
  EXPECT_CONTAINS(error, "myid");
  EXPECT_CONTAINS(error, "no server.4 line");
}

TEST_F(EnsembleConfig, MyIdIsADirectory) {
  fs::create_directory(fs::path(dir_.path()) / "myid");
  EXPECT_CONTAINS(ParseError(Base("clientPort=2181\n")), "myid");
}

TEST_F(EnsembleConfig, ClientPortFromTheServerLine) {
  WriteMyId("2");
  Config c = MustParse("dataDir=" + dir_.path() +
                       "\nserver.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;10.0.0.2:2182\n"
                       "server.3=zk3:2888:3888;2183\n");
  EXPECT_EQ(c.client_port, 2182);
  EXPECT_EQ(c.client_port_address, "10.0.0.2");
}

TEST_F(EnsembleConfig, ClientPortMatchingTheServerLineIsFine) {
  WriteMyId("1");
  Config c = MustParse("dataDir=" + dir_.path() +
                       "\nclientPort=2181\nserver.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888\n"
                       "server.3=zk3:2888:3888\n");
  EXPECT_EQ(c.client_port, 2181);
}

TEST_F(EnsembleConfig, ClientPortDisagreeingWithTheServerLine) {
  WriteMyId("1");
  std::string error = ParseError("dataDir=" + dir_.path() +
                                 "\nclientPort=2000\nserver.1=zk1:2888:3888;2181\n"
                                 "server.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n");
  EXPECT_CONTAINS(error, "clientPort");
  EXPECT_CONTAINS(error, "server.1");
}

TEST_F(EnsembleConfig, ClientAddressDisagreeingWithTheServerLine) {
  WriteMyId("1");
  std::string error = ParseError("dataDir=" + dir_.path() +
                                 "\nclientPort=2181\nclientPortAddress=10.0.0.9\n"
                                 "server.1=zk1:2888:3888;10.0.0.1:2181\n"
                                 "server.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n");
  EXPECT_CONTAINS(error, "clientPortAddress");
}

TEST_F(EnsembleConfig, NoClientPortAnywhere) {
  WriteMyId("1");
  std::string error = ParseError(Base());
  EXPECT_CONTAINS(error, "clientPort");
  EXPECT_CONTAINS(error, "server.1");
}

TEST_F(EnsembleConfig, DuplicateServerIds) {
  WriteMyId("1");
  std::string error = ParseError(Base("clientPort=2181\nserver.01=zk9:2888:3888\n"));
  EXPECT_CONTAINS(error, "server.01");
  EXPECT_CONTAINS(error, "duplicate server id 1");
}

TEST_F(EnsembleConfig, SameKeyTwiceOverridesRatherThanDuplicates) {
  WriteMyId("1");
  Config c = MustParse(Base("clientPort=2181\nserver.3=zk3b:2888:3888\n"));
  EXPECT_EQ(c.servers[2].host, "zk3b");
  EXPECT_TRUE(HasWarning(c, "overrides")) << AllWarnings(c);
}

TEST_F(EnsembleConfig, ServerIdMustBePositive) {
  WriteMyId("1");
  EXPECT_CONTAINS(ParseError(Base("clientPort=2181\nserver.0=zk0:2888:3888\n")), "server.0");
  EXPECT_CONTAINS(ParseError(Base("clientPort=2181\nserver.-1=zk0:2888:3888\n")), "server.-1");
  EXPECT_CONTAINS(ParseError(Base("clientPort=2181\nserver.=zk0:2888:3888\n")), "server.");
}

TEST_F(EnsembleConfig, BadServerLineNamesTheKeyAndLine) {
  WriteMyId("1");
  std::string error = ParseError(Base("clientPort=2181\nserver.4=zk4:2888:abc\n"));
  EXPECT_CONTAINS(error, "server.4: the election port");
  EXPECT_CONTAINS(error, "(line 6)");
}

TEST_F(EnsembleConfig, ObserversAreKept) {
  WriteMyId("4");
  Config c = MustParse(Base("clientPort=2181\nserver.4=obs:2888:3888:observer\n"));
  ASSERT_EQ(c.servers.size(), 4u);
  EXPECT_TRUE(c.servers[3].observer);
  EXPECT_EQ(c.my_id, 4);
}

TEST_F(EnsembleConfig, ObserversWithoutParticipants) {
  std::string error =
      ParseError("dataDir=" + dir_.path() + "\nclientPort=2181\nserver.1=a:1:2:observer\n");
  EXPECT_CONTAINS(error, "server.1");
  EXPECT_CONTAINS(error, "observers without participants");
}

TEST_F(EnsembleConfig, ObserverWithASingleParticipantInStandaloneMode) {
  std::string error = ParseError("dataDir=" + dir_.path() +
                                 "\nclientPort=2181\nserver.1=a:1:2\nserver.2=b:1:2:observer\n");
  EXPECT_CONTAINS(error, "server.2");
}

TEST_F(EnsembleConfig, SingleServerWithStandaloneEnabledRunsStandalone) {
  // ZooKeeper's rule (HBase writes such configs): no myid needed, no ensemble.
  Config c = MustParse("dataDir=" + dir_.path() + "\nserver.1=localhost:2888:3888;2181\n");
  EXPECT_TRUE(c.standalone());
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.my_id, 0);
  EXPECT_TRUE(HasWarning(c, "standalone")) << AllWarnings(c);
}

TEST_F(EnsembleConfig, SingleServerWithStandaloneDisabledIsAOneMemberEnsemble) {
  WriteMyId("1");
  Config c =
      MustParse("dataDir=" + dir_.path() +
                "\nstandaloneEnabled=false\nclientPort=2181\nserver.1=localhost:2888:3888\n");
  EXPECT_FALSE(c.standalone());
  EXPECT_EQ(c.my_id, 1);
  EXPECT_TRUE(HasWarning(c, "no server failure will be tolerated")) << AllWarnings(c);
}

TEST_F(EnsembleConfig, EvenParticipantCountWarns) {
  WriteMyId("1");
  Config c = MustParse(Base("clientPort=2181\nserver.4=zk4:2888:3888\n"));
  EXPECT_TRUE(HasWarning(c, "odd number")) << AllWarnings(c);
}

TEST_F(EnsembleConfig, PeerTypeMismatchWarnsAndTheServerLineWins) {
  WriteMyId("1");
  Config c = MustParse(Base("clientPort=2181\npeerType=observer\n"));
  EXPECT_FALSE(c.servers[0].observer);
  EXPECT_TRUE(HasWarning(c, "peerType")) << AllWarnings(c);
}

TEST_F(EnsembleConfig, DynamicConfigFileHoldsTheServers) {
  WriteMyId("3");
  dir_.Write("zoo.cfg.dynamic.100000000",
             "server.1=zk1:2888:3888:participant;2181\n"
             "server.2=zk2:2888:3888:participant;2181\n"
             "server.3=zk3:2888:3888:participant;0.0.0.0:2181\n");
  Config c = MustParse("dataDir=" + dir_.path() + "\ndynamicConfigFile=zoo.cfg.dynamic.100000000\n",
                       dir_.path());
  EXPECT_EQ(c.dynamic_config_file, dir_.path() + "/zoo.cfg.dynamic.100000000");
  ASSERT_EQ(c.servers.size(), 3u);
  EXPECT_EQ(c.my_id, 3);
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.raw.at("server.2"), "zk2:2888:3888:participant;2181");
}

TEST_F(EnsembleConfig, DynamicConfigFileMissing) {
  std::string error = ParseError(Standalone("dynamicConfigFile=/nonexistent/zoo.cfg.dynamic\n"));
  EXPECT_CONTAINS(error, "dynamicConfigFile");
  EXPECT_CONTAINS(error, "/nonexistent/zoo.cfg.dynamic");
}

TEST_F(EnsembleConfig, ServerLinesMayNotAccompanyADynamicConfigFile) {
  std::string dyn = dir_.Write("dyn", "server.1=zk1:2888:3888\n");
  std::string error = ParseError(Base("dynamicConfigFile=" + dyn + "\n"));
  EXPECT_CONTAINS(error, "server.1");
  EXPECT_CONTAINS(error, "dynamicConfigFile");
}

TEST_F(EnsembleConfig, DynamicConfigFileMayHoldOnlyServerLines) {
  std::string dyn = dir_.Write("dyn", "server.1=zk1:2888:3888\ntickTime=100\n");
  std::string error = ParseError(Standalone("dynamicConfigFile=" + dyn + "\n"));
  EXPECT_CONTAINS(error, "tickTime");
  EXPECT_CONTAINS(error, dyn + " line 2");
}

TEST_F(EnsembleConfig, DynamicConfigFileMayNotHoldAVersion) {
  std::string dyn = dir_.Write("dyn", "server.1=zk1:2888:3888\nversion=100000000\n");
  EXPECT_CONTAINS(ParseError(Standalone("dynamicConfigFile=" + dyn + "\n")), "version");
}

TEST_F(EnsembleConfig, BadLineInTheDynamicConfigFileNamesThatFile) {
  std::string dyn = dir_.Write("dyn", "server.1=zk1:2888\n");
  std::string error = ParseError(Standalone("dynamicConfigFile=" + dyn + "\n"));
  EXPECT_CONTAINS(error, "server.1");
  EXPECT_CONTAINS(error, dyn);
}

// ---------------------------------------------------------------------------------------------
// YAML.

TEST(ConfigYaml, NestedMapsFlattenWithDots) {
  Config c = MustParseYaml(R"(
dataDir: /var/lib/zk
clientPort: 2181
admin:
  serverPort: 8081
  enableServer: false
autopurge: {snapRetainCount: 7, purgeInterval: 1}
znode:
  container:
    checkIntervalMs: 500
)");
  EXPECT_EQ(c.admin_server_port, 8081);
  EXPECT_FALSE(c.admin_enable_server);
  EXPECT_EQ(c.autopurge_snap_retain_count, 7);
  EXPECT_EQ(c.autopurge_purge_interval_hours, 1);
  EXPECT_EQ(c.container_check_interval_ms, 500);
  EXPECT_EQ(c.raw.at("admin.serverPort"), "8081");
  EXPECT_TRUE(c.warnings.empty()) << AllWarnings(c);
}

TEST(ConfigYaml, FlatDottedKeysWork) {
  Config c = MustParseYaml(
      "dataDir: /d\nclientPort: 2181\nadmin.serverPort: 8082\njute.maxbuffer: 0x200000\n");
  EXPECT_EQ(c.admin_server_port, 8082);
  EXPECT_EQ(c.jute_max_buffer_bytes, 0x200000);
}

TEST(ConfigYaml, EveryKeyMatchesTheProperties) {
  // The same settings written as YAML (nested where natural) give the same Config.
  Config from_properties = MustParse(kEveryKey);
  Config from_yaml = MustParseYaml(R"(# every key Corral honours
tickTime: 1000
initLimit: 7
syncLimit: 3
minSessionTimeout: 3000
maxSessionTimeout: 30000
dataDir: /data/zk
dataLogDir: /data/zk-log
clientPort: 2281
clientPortAddress: 127.0.0.1
secureClientPort: 2282
secureClientPortAddress: 127.0.0.2
snapCount: 5000
preAllocSize: 1024
autopurge:
  snapRetainCount: 5
  purgeInterval: 12
maxClientCnxns: 0
maxCnxns: 500
globalOutstandingLimit: 2000
jute.maxbuffer: 4194304
reconfigEnabled: true
standaloneEnabled: true
extendedTypesEnabled: true
localSessionsEnabled: true
readonlymode: {enabled: true}
quorumListenOnAllIPs: true
enforceQuota: true
4lw.commands.whitelist: "srvr, ruok ,mntr"
DigestAuthenticationProvider.superDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
znode.container:
  checkIntervalMs: 1000
  maxPerMinute: 50
commitLogCount: 700
commitLogBytes: 1048576
logLevel: DEBUG
admin:
  enableServer: false
  serverAddress: 127.0.0.3
  serverPort: 8081
metricsProvider:
  className: org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
  httpPort: 7001
  httpHost: 127.0.0.4
electionAlg: 3
ensembleId: prod-east
)");
  ExpectSameConfig(from_properties, from_yaml);
}

TEST(ConfigYaml, EnsembleMatchesTheProperties) {
  TempDir dir;
  dir.Write("myid", "2\n");
  std::string properties = "dataDir=" + dir.path() +
                           "\nserver.1=zk1:2888:3888;2181\n"
                           "server.2=zk2:2888:3888:participant;2181\n"
                           "server.3=zk3:2888:3888:observer;2181\n"
                           "server.4=zk4:2888:3888;2181\n"
                           "foo=bar\n"
                           "authProvider.1=org.example.Provider\n";
  std::string yaml = "dataDir: " + dir.path() +
                     "\nserver:\n"
                     "  1: zk1:2888:3888;2181\n"
                     "  2: \"zk2:2888:3888:participant;2181\"\n"
                     "server.3: zk3:2888:3888:observer;2181\n"
                     "server.4: 'zk4:2888:3888;2181'\n"
                     "foo: bar\n"
                     "authProvider: {1: org.example.Provider}\n";
  Config a = MustParse(properties);
  Config b = MustParseYaml(yaml);
  ExpectSameConfig(a, b);
  EXPECT_EQ(b.servers.size(), 4u);
  EXPECT_EQ(b.my_id, 2);
  EXPECT_EQ(b.client_port, 2181);
}

TEST(ConfigYaml, DocumentationExampleParses) {
  // The ensemble example in docs/configuration.md, with dataDir pointed at a real directory.
  TempDir dir;
  dir.Write("data/myid", "3\n");
  std::string path = dir.Write("corral.yaml", R"(tickTime: 2000
initLimit: 10
syncLimit: 5
dataDir: data          # relative paths resolve against this file's directory
clientPort: 2181
4lw.commands.whitelist: "srvr,ruok,mntr"
autopurge:
  snapRetainCount: 5
  purgeInterval: 24
admin:
  serverPort: 8080
metricsProvider:
  className: org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
  httpPort: 7000
server:
  1: zk-0.zk:2888:3888
  2: zk-1.zk:2888:3888
  3: "zk-2.zk:2888:3888:participant;2181"
)");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->warnings.empty()) << AllWarnings(*c);
  EXPECT_EQ(c->data_dir, dir.path() + "/data");
  EXPECT_EQ(c->my_id, 3);
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->servers[2].client_port, 2181);
  EXPECT_EQ(c->four_letter_word_whitelist, "srvr,ruok,mntr");
}

TEST(ConfigYaml, ZooKeeperPrefixNestsToo) {
  Config c = MustParseYaml("dataDir: /d\nclientPort: 1\nzookeeper:\n  enforceQuota: true\n");
  EXPECT_TRUE(c.enforce_quota);
}

TEST(ConfigYaml, ListValueIsAnErrorNamingTheKey) {
  std::string error = ErrorOf(ParseYaml(
      "dataDir: /d\nclientPort: 1\n4lw:\n  commands:\n    whitelist: [srvr, ruok]\n", ""));
  EXPECT_CONTAINS(error, "4lw.commands.whitelist");
  EXPECT_CONTAINS(error, "list");
  EXPECT_CONTAINS(error, "line 5");
}

TEST(ConfigYaml, MalformedYamlReportsTheLine) {
  std::string error = ErrorOf(ParseYaml("dataDir: /d\nclientPort: [1, 2\ntickTime: 3\n", ""));
  EXPECT_CONTAINS(error, "YAML");
  EXPECT_CONTAINS(error, "line");
}

TEST(ConfigYaml, UnquotedStarIsAnAliasAndFailsClearly) {
  std::string error = ErrorOf(ParseYaml("dataDir: /d\n4lw.commands.whitelist: *\n", ""));
  EXPECT_CONTAINS(error, "YAML");
}

TEST(ConfigYaml, TopLevelMustBeAMapping) {
  EXPECT_CONTAINS(ErrorOf(ParseYaml("- a\n- b\n", "")), "mapping");
  EXPECT_CONTAINS(ErrorOf(ParseYaml("just a string\n", "")), "mapping");
}

TEST(ConfigYaml, OneDocumentOnly) {
  EXPECT_CONTAINS(ErrorOf(ParseYaml("dataDir: /a\n---\ndataDir: /b\n", "")), "document");
}

TEST(ConfigYaml, EmptyDocumentIsMissingDataDir) {
  EXPECT_CONTAINS(ErrorOf(ParseYaml("", "")), "dataDir");
  EXPECT_CONTAINS(ErrorOf(ParseYaml("# only a comment\n", "")), "dataDir");
}

TEST(ConfigYaml, NullValueIsEmpty) {
  std::string error = ErrorOf(ParseYaml("dataDir: /d\nclientPort: 1\ntickTime:\n", ""));
  EXPECT_CONTAINS(error, "tickTime");
  EXPECT_CONTAINS(error, "got \"\"");
}

TEST(ConfigYaml, YamlOneOneBooleansAreRejected) {
  std::string error = ErrorOf(ParseYaml("dataDir: /d\nclientPort: 1\nenforceQuota: yes\n", ""));
  EXPECT_CONTAINS(error, "enforceQuota");
  EXPECT_CONTAINS(error, "true or false");
}

TEST(ConfigYaml, ErrorsCarryTheLine) {
  std::string error = ErrorOf(ParseYaml("dataDir: /d\nadmin:\n  serverPort: nope\n", ""));
  EXPECT_EQ(error, "admin.serverPort: expected an integer from 1 to 65535, got \"nope\" (line 3)");
}

TEST(ConfigYaml, NonScalarKeyIsAnError) {
  EXPECT_CONTAINS(ErrorOf(ParseYaml("? [a, b]\n: c\n", "")), "key");
}

TEST(ConfigYaml, ExcessiveNestingIsAnError) {
  std::string yaml = "dataDir: /d\n";
  std::string indent;
  for (int i = 0; i < kYamlNestingMax + 2; ++i) {
    yaml += indent + "k" + std::to_string(i) + ":\n";
    indent += " ";
  }
  yaml += indent + "leaf: 1\n";
  EXPECT_CONTAINS(ErrorOf(ParseYaml(yaml, "")), "nested");
}

TEST(ConfigYaml, DuplicateViaNestedAndFlatOverridesWithAWarning) {
  Config c =
      MustParseYaml("dataDir: /d\nclientPort: 1\nadmin: {serverPort: 1}\nadmin.serverPort: 2\n");
  EXPECT_EQ(c.admin_server_port, 2);
  EXPECT_TRUE(HasWarning(c, "overrides")) << AllWarnings(c);
}

TEST(ConfigYaml, UnknownAndIgnoredKeysWarnAsInProperties) {
  Config c = MustParseYaml(
      "dataDir: /d\nclientPort: 1\nfoo: {bar: baz}\nssl: {keyStore: {location: /k.jks}}\n");
  EXPECT_TRUE(HasWarning(c, "unknown key \"foo.bar\" kept as property zookeeper.foo.bar"))
      << AllWarnings(c);
  EXPECT_TRUE(HasWarning(c, "\"ssl.keyStore.location\" is accepted and ignored")) << AllWarnings(c);
}

TEST(ConfigYaml, EntriesKeepFileOrderAndLines) {
  StatusOr<std::vector<ConfigEntry>> e = ParseYamlEntries("b: 1\na:\n  x: 2\n  y: ~\n");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].key, "b");
  EXPECT_EQ((*e)[1].key, "a.x");
  EXPECT_EQ((*e)[1].line, 3);
  EXPECT_EQ((*e)[2].key, "a.y");
  EXPECT_EQ((*e)[2].value, "");
}

// ---------------------------------------------------------------------------------------------
// Files.

TEST(ConfigFile, LoadsPropertiesAndResolvesPathsAgainstTheFile) {
  TempDir dir;
  std::string path = dir.Write("conf/zoo.cfg", "dataDir=../data\nclientPort=2181\n");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, dir.path() + "/data");
  EXPECT_EQ(c->source_path, path);
}

TEST(ConfigFile, PicksYamlByExtension) {
  TempDir dir;
  for (const char* name : {"corral.yaml", "corral.yml", "CORRAL.YAML"}) {
    std::string path =
        dir.Write(name, "dataDir: data\nadmin:\n  serverPort: 9999\nclientPort: 1\n");
    StatusOr<Config> c = LoadConfigFile(path);
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().ToString();
    EXPECT_EQ(c->admin_server_port, 9999) << name;
    EXPECT_EQ(c->data_dir, dir.path() + "/data");
  }
}

TEST(ConfigFile, OtherExtensionsAreProperties) {
  TempDir dir;
  // A YAML-looking line in a .cfg is a properties line "admin" = "{serverPort: 1}": unknown key.
  std::string path = dir.Write("zoo.cfg", "dataDir: /d\nclientPort: 1\nadmin: {serverPort: 1}\n");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->admin_server_port, 8080);
  EXPECT_EQ(c->raw.at("admin"), "{serverPort: 1}");
}

TEST(ConfigFile, MissingFile) {
  StatusOr<Config> c = LoadConfigFile("/nonexistent/dir/zoo.cfg");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
  EXPECT_CONTAINS(c.status().message(), "/nonexistent/dir/zoo.cfg");
}

TEST(ConfigFile, DirectoryIsNotAConfig) {
  TempDir dir;
  StatusOr<Config> c = LoadConfigFile(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kIoError);
  EXPECT_CONTAINS(c.status().message(), dir.path());
}

TEST(ConfigFile, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir dir;
  std::string path = dir.Write("zoo.cfg", "dataDir=/d\n");
  fs::permissions(path, fs::perms::none);
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kIoError);
}

TEST(ConfigFile, ErrorsNameTheFileAndLine) {
  TempDir dir;
  std::string path = dir.Write("zoo.cfg", "dataDir=/d\nclientPort=2181\ntickTime=fast\n");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "tickTime: expected a positive integer, got \"fast\" (" + path + " line 3)");
}

TEST(ConfigFile, YamlSyntaxErrorsNameTheFile) {
  TempDir dir;
  std::string path = dir.Write("c.yaml", "dataDir: [\n");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_CONTAINS(c.status().message(), path);
  EXPECT_CONTAINS(c.status().message(), "YAML");
}

TEST(ConfigFile, WarningsNameTheFile) {
  TempDir dir;
  std::string path = dir.Write("zoo.cfg", "dataDir=/d\nclientPort=2181\nmystery=1\n");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_CONTAINS(c->warnings[0], path + " line 3");
}

TEST(ConfigFile, ZooKeeperSampleConfigLoadsCleanly) {
  // conf/zoo_sample.cfg as shipped with ZooKeeper, with dataDir pointed somewhere harmless.
  TempDir dir;
  std::string path = dir.Write("zoo.cfg", R"(# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
# do not use /tmp for storage, /tmp here is just
# example sakes.
dataDir=/tmp/zookeeper
# the port at which the clients will connect
clientPort=2181
# the maximum number of client connections.
# increase this if you need to handle more clients
#maxClientCnxns=60
#
# Be sure to read the maintenance section of the
# administrator guide before turning on autopurge.
#
# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance
#
# The number of snapshots to retain in dataDir
#autopurge.snapRetainCount=3
# Purge task interval in hours
# Set to "0" to disable auto purge feature
#autopurge.purgeInterval=1

## Metrics Providers
#
# https://prometheus.io Metrics Exporter
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
#metricsProvider.httpHost=0.0.0.0
#metricsProvider.httpPort=7000
#metricsProvider.exportJvmInfo=true
)");
  StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->warnings.empty()) << AllWarnings(*c);
  EXPECT_EQ(c->data_dir, "/tmp/zookeeper");
  EXPECT_EQ(c->client_port, 2181);
}

TEST(ConfigMetrics, PrometheusIsServedOnlyWhenItsProviderIsNamed) {
  EXPECT_FALSE(MustParse(Standalone("")).metrics_enabled);
  Config default_provider = MustParse(Standalone(
      "metricsProvider.className=org.apache.zookeeper.metrics.impl.DefaultMetricsProvider\n"));
  EXPECT_FALSE(default_provider.metrics_enabled);
  EXPECT_TRUE(default_provider.warnings.empty()) << AllWarnings(default_provider);
  Config prometheus =
      MustParse(Standalone("metricsProvider.className="
                           "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n"));
  EXPECT_TRUE(prometheus.metrics_enabled);
  EXPECT_TRUE(prometheus.warnings.empty()) << AllWarnings(prometheus);
}

TEST(ConfigAdmin, CommandUrlIsHonouredWithoutATrailingSlash) {
  EXPECT_EQ(MustParse(Standalone("")).admin_command_url, "/commands");
  EXPECT_EQ(MustParse(Standalone("admin.commandURL=/cmds/\n")).admin_command_url, "/cmds");
  EXPECT_EQ(MustParse(Standalone("zookeeper.admin.commandURL=/a/b\n")).admin_command_url, "/a/b");
  auto bad = ParseProperties(Standalone("admin.commandURL=commands\n"), "/tmp");
  ASSERT_FALSE(bad.ok());
  EXPECT_CONTAINS(bad.status().message(), "admin.commandURL");
}

TEST(ConfigLog, LogFileResolvesAgainstTheConfigDirectory) {
  EXPECT_EQ(MustParse(Standalone("")).log_file, "");
  EXPECT_EQ(MustParse(Standalone("logFile=logs/corral.log\n"), "/tmp").log_file,
            "/tmp/logs/corral.log");
}

}  // namespace
}  // namespace corral
