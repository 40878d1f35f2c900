// Snapshots: a state machine built by applying real entries survives a write and load with
// every field intact and behaves the same afterwards; any damage to the file is reported, never
// half-loaded; a crash while writing never leaves a partial snapshot under the final name.
// Also the by-hand benchmark (DISABLED_; run with --gtest_also_run_disabled_tests).
#include "storage/snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "env/fault_file_system.h"
#include "proto/snapshot.pb.h"
#include "storage/file_names.h"
#include "storage/record_format.h"
#include "storage_test_util.h"

namespace corral::storage {
namespace {

using testing::OpenAcl;
using testing::StateDifference;
using testing::TxnMaker;

constexpr char kDir[] = "/data/snap";
constexpr int64_t kS1 = 0x0100000b07e40001LL;
constexpr int64_t kS2 = 0x0100000b07e40002LL;
constexpr int64_t kS3 = 0x0100000b07e40003LL;

StateMachineOptions Extended() {
  StateMachineOptions o;
  o.extended_types_enabled = true;
  return o;
}

// Every kind of node and every field that differs from its default somewhere.
void BuildRichState(StateMachine* sm, TxnMaker* t) {
  auto apply = [&](const Txn& txn) { sm->Apply(txn); };
  zk::AclList bob = {zk::Acl{zk::kPermRead | zk::kPermWrite, zk::Id{"digest", "bob:abc="}},
                     zk::Acl{zk::kPermAll, zk::Id{"ip", "10.0.0.0/8"}}};
  apply(t->CreateSession(kS1, 30000));
  apply(t->CreateSession(kS2, 4000));
  apply(t->CreateSession(kS3, 10000));
  apply(t->Create(kS1, "/app", "config-v1"));
  apply(t->Create(kS1, "/app/null", "", zk::kPersistent, OpenAcl(), zk::kCreate2, -1, true));
  apply(t->Create(kS1, "/app/seq-", "a", zk::kPersistentSequential));
  apply(t->Create(kS1, "/app/seq-", "b", zk::kPersistentSequential));
  apply(t->Create(kS2, "/app/eph", "mine", zk::kEphemeral));
  apply(t->Create(kS2, "/app/eph-seq-", "", zk::kEphemeralSequential));
  apply(t->Create(kS3, "/app/gone-with-s3", "", zk::kEphemeral));
  apply(t->Create(kS1, "/container", "", zk::kContainer, OpenAcl(), zk::kCreateContainer));
  apply(t->Create(kS1, "/container/child", "x"));
  apply(t->Create(kS1, "/ttl", "t", zk::kPersistentWithTtl, OpenAcl(), zk::kCreateTtl, 60000));
  apply(t->Create(kS1, "/secret", std::string("\0\x01\xff binary", 10), zk::kPersistent, bob));
  apply(t->Create(kS1, "/secret2", "shares bob's ACL", zk::kPersistent, bob));
  apply(t->Create(kS1, "/unicode-\xc3\xa9", "\xe2\x82\xac"));
  apply(t->SetData(kS1, "/app", "config-v2"));
  apply(t->SetData(kS1, "/app", "config-v3"));
  apply(t->SetAcl(kS1, "/app/null", bob));
  apply(t->Delete(kS1, "/app/seq-0000000000"));  // cversion now exceeds the child count
  apply(t->Create(kS1, "/deep", ""));
  std::string p = "/deep";
  for (int i = 0; i < 50; ++i) {
    p += "/d" + std::to_string(i);
    apply(t->Create(kS1, p, std::string(static_cast<size_t>(i), 'd')));
  }
  apply(t->CloseSession(kS3));
  apply(t->Create(kS1, "/app", "exists"));  // a failed entry still moves the zxid
  sm->SetConfigData("server.1=127.0.0.1:2888:3888;2181\nversion=100000000");
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs.CreateDir(kDir).ok()); }
  SnapshotInfo Write(const StateMachine& sm) {
    auto info = WriteSnapshot(&fs, kDir, sm);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : SnapshotInfo{};
  }
  StatusOr<StateMachine> Load(const std::string& path, SnapshotInfo* info = nullptr) {
    SnapshotLoadOptions options;
    options.state_machine = Extended();
    return LoadSnapshot(&fs, path, options, info);
  }
  std::string WriteRaw(const std::string& name, const std::string& bytes) {
    std::string path = env::JoinPath(kDir, name);
    auto f = fs.CreateFile(path);
    EXPECT_TRUE((*f)->Append(bytes).ok());
    EXPECT_TRUE((*f)->Sync().ok());
    return path;
  }
  env::FaultFileSystem fs;
};

TEST_F(SnapshotTest, RoundTripKeepsEveryField) {
  StateMachine sm(Extended());
  TxnMaker t(0x500000001LL);
  BuildRichState(&sm, &t);
  SnapshotInfo written = Write(sm);
  EXPECT_EQ(written.path, env::JoinPath(kDir, SnapshotName(sm.last_applied_zxid())));
  EXPECT_EQ(written.node_count, sm.tree().node_count());
  EXPECT_EQ(written.session_count, 2u);
  EXPECT_EQ(written.acl_list_count, 3u);  // open, read-only (/zookeeper/config), bob's
  EXPECT_FALSE(fs.Exists(written.path + kTempSuffix));

  SnapshotInfo loaded_info;
  auto loaded = Load(written.path, &loaded_info);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(StateDifference(sm, *loaded), "");
  EXPECT_EQ(loaded_info.digest, written.digest);
  EXPECT_EQ(loaded_info.last_zxid, sm.last_applied_zxid());
  EXPECT_EQ(loaded->tree().Find("/zookeeper/config")->data.view().substr(0, 8), "server.1");
  EXPECT_TRUE(loaded->tree().Find("/app/null")->data.is_null());
  EXPECT_EQ(loaded->tree().Find("/zookeeper/config")->aversion, -1);

  // Nodes that shared an ACL list still share one object, and new nodes intern into it.
  const Znode* secret = loaded->tree().Find("/secret");
  EXPECT_EQ(secret->acl.get(), loaded->tree().Find("/secret2")->acl.get());
  EXPECT_EQ(secret->acl.get(), loaded->tree().Find("/app/null")->acl.get());
  StateMachine& restored = *loaded;
  EXPECT_EQ(const_cast<DataTree&>(restored.tree()).InternAcl(*secret->acl).get(),
            secret->acl.get());
}

TEST_F(SnapshotTest, ARestoredStateMachineBehavesTheSame) {
  StateMachine original(Extended());
  TxnMaker t(0x500000001LL);
  BuildRichState(&original, &t);
  auto loaded = Load(Write(original).path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  StateMachine& restored = *loaded;
  // The same entries give the same answers (sequential suffixes, versions, errors, watches).
  std::vector<Txn> more = {
      t.Create(kS1, "/app/seq-", "c", zk::kPersistentSequential),
      t.Create(kS2, "/app/eph2", "", zk::kEphemeral),
      t.SetData(kS1, "/app", "v4", 3),
      t.SetData(kS1, "/app", "stale", 1),
      t.Delete(kS1, "/container/child"),
      t.Create(kS1, "/secret/child", ""),
      t.CloseSession(kS2),
      t.Create(kS3, "/closed-session", ""),
  };
  for (const Txn& txn : more) {
    ApplyResult a = original.Apply(txn);
    ApplyResult b = restored.Apply(txn);
    EXPECT_EQ(a.err, b.err) << txn.zxid;
    EXPECT_EQ(a.body, b.body) << txn.zxid;
    ASSERT_EQ(a.triggers.size(), b.triggers.size()) << txn.zxid;
    for (size_t i = 0; i < a.triggers.size(); ++i) {
      EXPECT_EQ(a.triggers[i].path, b.triggers[i].path);
      EXPECT_EQ(a.triggers[i].type, b.triggers[i].type);
    }
    EXPECT_EQ(a.closed_sessions, b.closed_sessions);
  }
  EXPECT_EQ(StateDifference(original, restored), "");
}

TEST_F(SnapshotTest, FreshStateMachineRoundTrips) {
  StateMachine sm(StateMachineOptions{});
  auto loaded = Load(Write(sm).path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(StateDifference(sm, *loaded), "");
  EXPECT_EQ(loaded->last_applied_zxid(), 0);
}

TEST_F(SnapshotTest, WritingTheSameZxidAgainReplacesTheFile) {
  StateMachine sm(Extended());
  TxnMaker t;
  BuildRichState(&sm, &t);
  Write(sm);
  SnapshotInfo again = Write(sm);
  auto listed = ListSnapshots(&fs, kDir);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(Load(again.path).ok());
}

TEST_F(SnapshotTest, ListsNewestFirstAndIgnoresOtherFiles) {
  StateMachine sm(StateMachineOptions{});
  TxnMaker t;
  for (int i = 0; i < 3; ++i) {
    sm.Apply(t.CreateSession(kS1 + i));
    Write(sm);
  }
  WriteRaw("snapshot.0000000000000009.tmp", "partial");
  WriteRaw("notes.txt", "x");
  auto listed = ListSnapshots(&fs, kDir);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].zxid, 3);
  EXPECT_EQ((*listed)[2].zxid, 1);
}

// Any single flipped bit anywhere in the file makes it invalid (framing CRC), and so does
// cutting it anywhere: never a crash, never a half-loaded state.
TEST_F(SnapshotTest, EveryBitFlipAndEveryTruncationIsDetected) {
  StateMachine sm(Extended());
  TxnMaker t;
  sm.Apply(t.CreateSession(kS1));
  sm.Apply(t.Create(kS1, "/a", "data"));
  sm.Apply(t.Create(kS1, "/a/b", "more", zk::kEphemeral));
  std::string bytes = *fs.ReadFile(Write(sm).path);
  ASSERT_LT(bytes.size(), 2000u);
  std::string name = SnapshotName(sm.last_applied_zxid());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      std::string path = WriteRaw(name, damaged);
      auto loaded = Load(path);
      ASSERT_EQ(loaded.status().code(), Status::Code::kCorruption) << i << " " << bit;
      EXPECT_EQ(ValidateSnapshot(&fs, path).status().code(), Status::Code::kCorruption);
    }
  }
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::string path = WriteRaw(name, bytes.substr(0, cut));
    auto loaded = Load(path);
    ASSERT_EQ(loaded.status().code(), Status::Code::kCorruption) << cut;
    EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  }
}

TEST_F(SnapshotTest, ZeroLengthSnapshotIsInvalid) {
  // ZOOKEEPER-3644: a zero-length snapshot after a crash must not load as an empty tree.
  std::string path = WriteRaw(SnapshotName(7), "");
  auto loaded = Load(path);
  EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption);
  EXPECT_NE(loaded.status().message().find("empty snapshot file"), std::string::npos);
}

TEST_F(SnapshotTest, TrailingBytesNameMismatchAndForeignDatabaseAreRefused) {
  StateMachine sm(StateMachineOptions{});
  TxnMaker t;
  sm.Apply(t.CreateSession(kS1));
  std::string path = Write(sm).path;
  std::string bytes = *fs.ReadFile(path);
  EXPECT_EQ(Load(WriteRaw(SnapshotName(1), bytes + std::string(10, '\0'))).status().code(),
            Status::Code::kCorruption);
  auto renamed = Load(WriteRaw(SnapshotName(2), bytes));
  EXPECT_EQ(renamed.status().code(), Status::Code::kCorruption);
  EXPECT_NE(renamed.status().message().find("file name says"), std::string::npos);

  SnapshotWriteOptions other;
  other.db_id = 42;
  ASSERT_TRUE(WriteSnapshot(&fs, kDir, sm, other).ok());
  SnapshotLoadOptions mine;
  mine.db_id = 43;
  EXPECT_EQ(LoadSnapshot(&fs, path, mine).status().code(), Status::Code::kInvalidArgument);
  mine.db_id = 42;
  EXPECT_TRUE(LoadSnapshot(&fs, path, mine).ok());
}

TEST_F(SnapshotTest, ANodeWithNullDataAndBytesIsRefused) {
  // Well framed (every record's checksum is right) but self-contradictory: what a buggy or
  // hostile writer could produce. It must be refused by name, not loaded with either reading.
  StateMachine sm(Extended());
  TxnMaker t;
  sm.Apply(t.CreateSession(kS1));
  sm.Apply(t.Create(kS1, "/null", "", zk::kPersistent, OpenAcl(), zk::kCreate2, -1, true));
  const std::string path = Write(sm).path;
  const std::string bytes = *fs.ReadFile(path);
  std::string rewritten;
  bool changed = false;
  for (size_t at = 0; at < bytes.size();) {
    const uint32_t payload_bytes = GetFixed32(bytes.data() + at);
    const auto type = static_cast<RecordType>(bytes[at + 4]);
    std::string payload = bytes.substr(at + kRecordHeaderBytes, payload_bytes);
    proto::ZnodeRecord node;
    if (type == RecordType::kZnode && node.ParseFromString(payload) && node.path() == "/null") {
      ASSERT_TRUE(node.data_null());
      node.set_data("xyz");
      payload = node.SerializeAsString();
      changed = true;
    }
    AppendRecord(&rewritten, type, payload);
    at += kRecordOverheadBytes + payload_bytes;
  }
  ASSERT_TRUE(changed);
  ASSERT_TRUE(fs.RemoveFile(path).ok());
  auto loaded = Load(WriteRaw(path.substr(path.rfind('/') + 1), rewritten));
  EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption);
  EXPECT_NE(loaded.status().message().find("znode /null has null data with 3 bytes"),
            std::string::npos)
      << loaded.status().ToString();
}

TEST_F(SnapshotTest, FailedWriteLeavesNoFile) {
  StateMachine sm(Extended());
  TxnMaker t;
  BuildRichState(&sm, &t);
  fs.SetSpaceLimitBytes(500);
  auto info = WriteSnapshot(&fs, kDir, sm);
  EXPECT_EQ(info.status().code(), Status::Code::kResourceExhausted);
  auto names = fs.ListDir(kDir);
  EXPECT_TRUE(names->empty());
}

// The copy a leader sends to a follower is read back at once: it syncs nothing (every sync
// here would fail), and reads back as the same state.
TEST_F(SnapshotTest, AScratchCopySyncsNothingAndReadsBackTheSame) {
  StateMachine sm(Extended());
  TxnMaker t;
  BuildRichState(&sm, &t);
  fs.FailSyncs(1000);
  SnapshotWriteOptions scratch;
  scratch.durable = false;
  auto info = WriteSnapshot(&fs, kDir, sm, scratch);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto loaded = Load(info->path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(StateDifference(sm, *loaded), "");

  auto durable = WriteSnapshot(&fs, kDir, sm);  // the default syncs, and fails here
  EXPECT_EQ(durable.status().code(), Status::Code::kIoError);
}

// A crash at any point of a snapshot write leaves either no snapshot or a complete one.
TEST_F(SnapshotTest, CrashAtAnyPointOfAWriteLeavesNoPartialSnapshot) {
  StateMachine sm(Extended());
  TxnMaker t;
  BuildRichState(&sm, &t);
  SnapshotWriteOptions small_writes;
  small_writes.write_buffer_bytes = 256;  // many appends, so crashes land between them
  for (uint64_t ops = 0;; ++ops) {
    env::FaultFileSystem local;
    ASSERT_TRUE(local.CreateDir(kDir).ok());
    local.CrashAfterOps(ops);
    auto info = WriteSnapshot(&local, kDir, sm, small_writes);
    local.Crash(ops, env::CrashMode::kTearUnsynced);
    auto listed = ListSnapshots(&local, kDir);
    ASSERT_TRUE(listed.ok());
    for (const auto& s : *listed) {
      SnapshotLoadOptions options;
      options.state_machine = Extended();
      auto loaded = LoadSnapshot(&local, s.path, options);
      ASSERT_TRUE(loaded.ok()) << "ops " << ops << ": " << loaded.status().ToString();
      EXPECT_EQ(StateDifference(sm, *loaded), "");
    }
    if (info.ok()) {
      EXPECT_EQ(listed->size(), 1u) << "a snapshot reported written must survive the crash";
      break;
    }
  }
}

TEST(SnapshotPosix, WriteAndLoadOnARealDirectory) {
  std::string dir = ::testing::TempDir() + "corral_snapshot_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  StateMachine sm(Extended());
  TxnMaker t;
  BuildRichState(&sm, &t);
  auto info = WriteSnapshot(env::PosixFileSystem(), dir, sm);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(*env::PosixFileSystem()->FileSize(info->path), info->file_bytes);
  SnapshotLoadOptions options;
  options.state_machine = Extended();
  auto loaded = LoadSnapshot(env::PosixFileSystem(), info->path, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(StateDifference(sm, *loaded), "");
  auto validated = ValidateSnapshot(env::PosixFileSystem(), info->path);
  ASSERT_TRUE(validated.ok());
  EXPECT_EQ(validated->node_count, sm.tree().node_count());
}

// By hand: ./corral_unit_tests --gtest_also_run_disabled_tests
//   --gtest_filter='*SnapshotBenchmark*'   (CORRAL_SNAPSHOT_BENCH_NODES=N to change the size,
//   CORRAL_SNAPSHOT_BENCH_KEEP=1 to keep the file for profiling)
TEST(SnapshotBenchmark, DISABLED_WriteAndLoad500kNodesOf100Bytes) {
  size_t nodes = 500000;
  if (const char* n = std::getenv("CORRAL_SNAPSHOT_BENCH_NODES")) nodes = std::stoul(n);
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
  };
  StateMachine sm(StateMachineOptions{});
  TxnMaker t;
  sm.Apply(t.CreateSession(kS1));
  auto start = Clock::now();
  const size_t parents = 100;
  for (size_t p = 0; p < parents; ++p) sm.Apply(t.Create(kS1, "/app" + std::to_string(p), ""));
  std::string data(100, 'v');
  for (size_t i = 0; sm.tree().node_count() < nodes + 4; ++i) {
    sm.Apply(
        t.Create(kS1, "/app" + std::to_string(i % parents) + "/node-" + std::to_string(i), data));
  }
  std::printf("built %zu nodes by Apply in %.0f ms\n", sm.tree().node_count(),
              ms(Clock::now() - start));

  std::string dir = ::testing::TempDir() + "corral_snapshot_bench_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  start = Clock::now();
  auto info = WriteSnapshot(env::PosixFileSystem(), dir, sm);
  auto write_time = Clock::now() - start;
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  std::printf("wrote %s: %.1f MB in %.0f ms (includes fdatasync)\n", info->path.c_str(),
              static_cast<double>(info->file_bytes) / 1e6, ms(write_time));

  double best_load_ms = 1e9;
  for (int round = 0; round < 3; ++round) {
    start = Clock::now();
    auto loaded = LoadSnapshot(env::PosixFileSystem(), info->path, SnapshotLoadOptions{});
    auto load_time = Clock::now() - start;
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    best_load_ms = std::min(best_load_ms, ms(load_time));
    std::printf("loaded %zu nodes in %.0f ms (file in page cache)\n", loaded->tree().node_count(),
                ms(load_time));
    if (round == 0) {
      EXPECT_EQ(StateDifference(sm, *loaded), "");
    }
  }
  start = Clock::now();
  ASSERT_TRUE(ValidateSnapshot(env::PosixFileSystem(), info->path).ok());
  std::printf("validated (framing only) in %.0f ms\n", ms(Clock::now() - start));
  if (std::getenv("CORRAL_SNAPSHOT_BENCH_KEEP") == nullptr) {
    std::remove(info->path.c_str());
    ::rmdir(dir.c_str());
  }
  EXPECT_LT(best_load_ms, 1000.0);
}

}  // namespace
}  // namespace corral::storage
