// storage/atomic_file: a replaced file holds the old value or the new one after a crash at any
// point of the replacement, never a mix, framed (metadata files) or plain (dynamicConfigFile).
#include "storage/atomic_file.h"

#include <gtest/gtest.h>

#include "env/fault_file_system.h"

namespace corral::storage {
namespace {

using env::CrashMode;
using env::FaultFileSystem;

constexpr char kPath[] = "/d/zoo.cfg.dynamic";
const std::string kOld = "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n";
const std::string kNew = "server.1=a:1:2\nserver.2=b:1:2\nserver.4=d:1:2\n";

TEST(AtomicFileTest, PlainFileHoldsExactlyTheContents) {
  FaultFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/d").ok());
  ASSERT_TRUE(WritePlainFileAtomically(&fs, kPath, kOld).ok());
  ASSERT_TRUE(WritePlainFileAtomically(&fs, kPath, kNew).ok());
  EXPECT_EQ(fs.ReadFile(kPath).value(), kNew);  // no framing: people and ZooKeeper read it
  auto names = fs.ListDir("/d").value();
  EXPECT_EQ(names, std::vector<std::string>{"zoo.cfg.dynamic"});  // no temporary left
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_EQ(fs.ReadFile(kPath).value(), kNew);  // durable once it returned OK
}

TEST(AtomicFileTest, PlainFileIsOldOrNewAfterACrashAtAnyStep) {
  for (uint64_t ops = 0; ops < 8; ++ops) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      FaultFileSystem fs;
      ASSERT_TRUE(fs.CreateDir("/d").ok());
      ASSERT_TRUE(WritePlainFileAtomically(&fs, kPath, kOld).ok());
      fs.CrashAfterOps(ops);
      Status st = WritePlainFileAtomically(&fs, kPath, kNew);
      std::string kept = fs.Crash(seed, CrashMode::kTearUnsynced);
      std::string now = fs.ReadFile(kPath).value();
      EXPECT_TRUE(now == kOld || now == kNew) << "crash after " << ops << " ops: " << kept;
      if (st.ok()) {
        EXPECT_EQ(now, kNew) << "crash after " << ops << " ops: " << kept;
      }
    }
  }
}

TEST(AtomicFileTest, WriteReadReplace) {
  env::FaultFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/data").ok());
  EXPECT_EQ(ReadAtomicFile(&fs, "/data/currentEpoch").status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(WriteFileAtomically(&fs, "/data/currentEpoch", "5").ok());
  EXPECT_EQ(*ReadAtomicFile(&fs, "/data/currentEpoch"), "5");
  ASSERT_TRUE(WriteFileAtomically(&fs, "/data/currentEpoch", "6").ok());
  EXPECT_EQ(*ReadAtomicFile(&fs, "/data/currentEpoch"), "6");
  EXPECT_FALSE(fs.Exists("/data/currentEpoch.tmp"));
  fs.Crash(1, env::CrashMode::kDropUnsynced);
  EXPECT_EQ(*ReadAtomicFile(&fs, "/data/currentEpoch"), "6");
}

TEST(AtomicFileTest, DamageIsCorruption) {
  env::FaultFileSystem fs;
  ASSERT_TRUE(fs.CreateDir("/data").ok());
  ASSERT_TRUE(WriteFileAtomically(&fs, "/data/acceptedEpoch", "12").ok());
  std::string bytes = *fs.ReadFile("/data/acceptedEpoch");
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      env::FaultFileSystem local;
      ASSERT_TRUE(local.CreateDir("/data").ok());
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto f = local.CreateFile("/data/acceptedEpoch");
      ASSERT_TRUE((*f)->Append(damaged).ok());
      auto read = ReadAtomicFile(&local, "/data/acceptedEpoch");
      EXPECT_EQ(read.status().code(), Status::Code::kCorruption) << i << " " << bit;
    }
  }
  auto f = fs.CreateFile("/data/empty");
  EXPECT_EQ(ReadAtomicFile(&fs, "/data/empty").status().code(), Status::Code::kCorruption);
}

TEST(AtomicFileTest, CrashAtAnyPointLeavesTheOldOrTheNewValue) {
  for (uint64_t ops = 0; ops < 20; ++ops) {
    for (auto mode : {env::CrashMode::kDropUnsynced, env::CrashMode::kTearUnsynced}) {
      env::FaultFileSystem fs;
      ASSERT_TRUE(fs.CreateDir("/data").ok());
      ASSERT_TRUE(WriteFileAtomically(&fs, "/data/currentEpoch", "old").ok());
      fs.CrashAfterOps(ops);
      Status st = WriteFileAtomically(&fs, "/data/currentEpoch", "new-value");
      fs.Crash(ops, mode);
      auto read = ReadAtomicFile(&fs, "/data/currentEpoch");
      ASSERT_TRUE(read.ok()) << ops << ": " << read.status().ToString();
      if (st.ok()) {
        EXPECT_EQ(*read, "new-value");
      } else {
        EXPECT_TRUE(*read == "old" || *read == "new-value") << *read;
      }
    }
  }
}

}  // namespace
}  // namespace corral::storage
