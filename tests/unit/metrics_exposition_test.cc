#include "runtime/metrics_exposition.h"

#include <gtest/gtest.h>

#include "runtime/process_metrics.h"
#include "runtime/server_metrics.h"
#include "zk/codes.h"

namespace corral {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricNames, NumericMonitorValuesBecomeGaugesUnderTheirMntrKey) {
  MonitorValues values = {{"version", std::string("3.9.3-corral")},
                          {"znode_count", int64_t{5}},
                          {"avg_latency", 0.5},
                          {"server_state", std::string("leader")}};
  auto families = GaugeFamilies(values);
  ASSERT_EQ(families.size(), 2u);  // text values have no gauge, as in ZooKeeper
  EXPECT_EQ(families[0].name, "znode_count");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Gauge);
  EXPECT_EQ(families[0].metric[0].gauge.value, 5);
  EXPECT_EQ(families[1].name, "avg_latency");
}

TEST(MetricNames, MntrTextIsZooKeepers) {
  MonitorValues values = {{"version", std::string("v")},
                          {"znode_count", int64_t{5}},
                          {"avg_latency", 3.0},
                          {"avg_fsynctime", 0.25}};
  EXPECT_EQ(FormatMntr(values),
            "zk_version\tv\nzk_znode_count\t5\nzk_avg_latency\t3.0\nzk_avg_fsynctime\t0.25\n");
}

TEST(MetricNames, ExpositionCarriesZooKeeperSummariesCountersAndGauges) {
  ServerMetrics metrics;
  metrics.RequestAnswered(zk::kGetData, /*write=*/false, 2);
  metrics.RequestAnswered(zk::kCreate, /*write=*/true, 7);
  metrics.RequestAnswered(12345, /*write=*/false, 1);
  metrics.FsyncDone(3);
  metrics.ElectionDone(150);
  metrics.Committed();
  std::string text = MetricsText({{"znode_count", int64_t{9}}}, metrics.Collect());
  EXPECT_TRUE(Has(text, "# TYPE readlatency summary\n")) << text;
  EXPECT_TRUE(Has(text, "readlatency_count 2\n")) << text;  // getData and the unknown opcode
  EXPECT_TRUE(Has(text, "readlatency{quantile=\"0.99\"}")) << text;
  EXPECT_TRUE(Has(text, "updatelatency_count 1\n")) << text;
  EXPECT_TRUE(Has(text, "updatelatency_sum 7\n")) << text;
  EXPECT_TRUE(Has(text, "fsynctime{quantile=\"0.5\"} 3\n")) << text;
  EXPECT_FALSE(Has(text, "fsynctime{quantile=\"0.9\"}")) << text;  // BASIC: the median only
  EXPECT_TRUE(Has(text, "election_time_sum 150\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE commit_count counter\ncommit_count 1\n")) << text;
  EXPECT_TRUE(Has(text, "corral_requests_total{op=\"getData\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "corral_requests_total{op=\"create\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "corral_requests_total{op=\"unknown\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE znode_count gauge\nznode_count 9\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE process_resident_memory_bytes gauge\n")) << text;
  EXPECT_TRUE(Has(text, "process_open_fds ")) << text;
}

TEST(MetricNames, MntrFormOfTheEventMetricsIsTheDefaultProvidersAvgMinMaxCntSum) {
  ServerMetrics metrics;
  metrics.RequestAnswered(zk::kGetData, false, 2);
  metrics.RequestAnswered(zk::kGetData, false, 4);
  MonitorValues values;
  metrics.AddMonitorValues(&values);
  auto find = [&](const std::string& key) -> const MonitorValue* {
    for (const auto& v : values) {
      if (v.key == key) return &v;
    }
    return nullptr;
  };
  ASSERT_NE(find("cnt_readlatency"), nullptr);
  EXPECT_EQ(std::get<int64_t>(find("cnt_readlatency")->value), 2);
  EXPECT_EQ(std::get<double>(find("avg_readlatency")->value), 3.0);
  EXPECT_EQ(std::get<int64_t>(find("min_readlatency")->value), 2);
  EXPECT_EQ(std::get<int64_t>(find("max_readlatency")->value), 4);
  EXPECT_EQ(std::get<int64_t>(find("min_updatelatency")->value), 0);  // none yet: zeros
  EXPECT_NE(find("looking_count"), nullptr);
}

TEST(ProcStat, FieldsAreCountedFromTheLastParenthesis) {
  // A command name holding ") (" must not shift the fields.
  std::string text =
      "4242 (corral) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 "
      "123456 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  auto stat = ParseProcStat(text);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 50u);
  EXPECT_EQ(stat->start_time_ticks, 123456u);
  EXPECT_EQ(stat->virtual_bytes, 104857600u);
  EXPECT_EQ(stat->resident_pages, 2560u);
  EXPECT_FALSE(ParseProcStat("4242 (corral) S 1 2").has_value());
  EXPECT_FALSE(ParseProcStat("no parenthesis").has_value());
}

}  // namespace
}  // namespace corral
