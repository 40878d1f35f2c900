// env::FileSystem: the POSIX implementation on a real directory, and the fault model of
// FaultFileSystem (what survives a crash, torn writes, failed fsyncs, full disks).
#include "env/file_system.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "env/fault_file_system.h"

namespace corral::env {
namespace {

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "corral_fs_test_XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

std::unique_ptr<WritableFile> MustCreate(FileSystem* fs, const std::string& path) {
  auto f = fs->CreateFile(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

std::string MustRead(FileSystem* fs, const std::string& path) {
  auto s = fs->ReadFile(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : std::string();
}

TEST(PosixFileSystem, WriteReadAndPositions) {
  FileSystem* fs = PosixFileSystem();
  std::string dir = MakeTempDir();
  std::string path = JoinPath(dir, "a");
  auto f = MustCreate(fs, path);
  ASSERT_TRUE(f->Append("hello ").ok());
  ASSERT_TRUE(f->Append("world").ok());
  EXPECT_EQ(f->position(), 11u);
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_TRUE(f->Close().ok());  // idempotent
  EXPECT_FALSE(f->Append("x").ok());
  EXPECT_EQ(MustRead(fs, path), "hello world");
  EXPECT_EQ(*fs->ReadFileRange(path, 6, 3), "wor");
  EXPECT_EQ(*fs->ReadFileRange(path, 9, 100), "ld");
  EXPECT_EQ(*fs->ReadFileRange(path, 100, 1), "");
  EXPECT_EQ(*fs->FileSize(path), 11u);

  // Reopen in the middle: overwrite in place.
  auto g = fs->OpenWritableFile(path, 6);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("W").ok());
  ASSERT_TRUE((*g)->Close().ok());
  EXPECT_EQ(MustRead(fs, path), "hello World");
  EXPECT_EQ(fs->OpenWritableFile(path, 12).status().code(), Status::Code::kInvalidArgument);
}

TEST(PosixFileSystem, PreallocateAndTruncate) {
  FileSystem* fs = PosixFileSystem();
  std::string path = JoinPath(MakeTempDir(), "p");
  auto f = MustCreate(fs, path);
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Preallocate(4096).ok());
  EXPECT_EQ(*fs->FileSize(path), 4096u);
  EXPECT_EQ(f->position(), 3u);
  ASSERT_TRUE(f->Append("def").ok());     // lands inside the preallocated space
  ASSERT_TRUE(f->Preallocate(100).ok());  // never shrinks
  EXPECT_EQ(*fs->FileSize(path), 4096u);
  std::string content = MustRead(fs, path);
  EXPECT_EQ(content.substr(0, 6), "abcdef");
  EXPECT_TRUE(std::all_of(content.begin() + 6, content.end(), [](char c) { return c == 0; }));
  ASSERT_TRUE(f->Truncate(4).ok());
  EXPECT_EQ(f->position(), 4u);
  EXPECT_EQ(MustRead(fs, path), "abcd");
  ASSERT_TRUE(f->Sync().ok());
}

TEST(PosixFileSystem, DirectoryOperations) {
  FileSystem* fs = PosixFileSystem();
  std::string dir = JoinPath(MakeTempDir(), "x/y/z");
  ASSERT_TRUE(fs->CreateDir(dir).ok());
  ASSERT_TRUE(fs->CreateDir(dir).ok());  // exists: fine
  ASSERT_TRUE(MustCreate(fs, JoinPath(dir, "one"))->Append("1").ok());
  ASSERT_TRUE(MustCreate(fs, JoinPath(dir, "two"))->Append("22").ok());
  auto names = fs->ListDir(dir);
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(fs->Rename(JoinPath(dir, "two"), JoinPath(dir, "one")).ok());  // replaces
  EXPECT_EQ(MustRead(fs, JoinPath(dir, "one")), "22");
  ASSERT_TRUE(fs->SyncDir(dir).ok());
  ASSERT_TRUE(fs->RemoveFile(JoinPath(dir, "one")).ok());
  EXPECT_EQ(fs->RemoveFile(JoinPath(dir, "one")).code(), Status::Code::kNotFound);
  EXPECT_EQ(fs->FileSize(JoinPath(dir, "one")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(fs->OpenReadableFile(JoinPath(dir, "none")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(fs->ListDir(JoinPath(dir, "none")).status().code(), Status::Code::kNotFound);
  auto free_bytes = fs->FreeSpaceBytes(dir);
  ASSERT_TRUE(free_bytes.ok());
  EXPECT_GT(*free_bytes, 0u);
}

TEST(PosixFileSystem, NoSpaceIsResourceExhausted) {
  // /dev/full answers every write with ENOSPC.
  auto f = PosixFileSystem()->OpenWritableFile("/dev/full", 0);
  if (!f.ok()) GTEST_SKIP() << "no /dev/full: " << f.status().ToString();
  Status st = (*f)->Append("x");
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted) << st.ToString();
  EXPECT_NE(st.message().find("no space left"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("/dev/full"), std::string::npos) << st.message();
}

TEST(PathHelpers, JoinDirBase) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("c"), "c");
}

// ---------------------------------------------------------------------------------------------
// FaultFileSystem
// ---------------------------------------------------------------------------------------------

class FaultFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs.CreateDir("/d").ok()); }
  // Creates /d/<name> with `synced` durable (file and entry), then `unsynced` appended.
  std::unique_ptr<WritableFile> Durable(const std::string& name, const std::string& synced,
                                        const std::string& unsynced = "") {
    auto f = MustCreate(&fs, "/d/" + name);
    EXPECT_TRUE(f->Append(synced).ok());
    EXPECT_TRUE(f->Sync().ok());
    EXPECT_TRUE(fs.SyncDir("/d").ok());
    if (!unsynced.empty()) {
      EXPECT_TRUE(f->Append(unsynced).ok());
    }
    return f;
  }
  FaultFileSystem fs;
};

TEST_F(FaultFileSystemTest, CrashDropsWhatWasNotSynced) {
  auto f = Durable("a", "synced", "-lost");
  EXPECT_EQ(MustRead(&fs, "/d/a"), "synced-lost");
  EXPECT_EQ(fs.DurableSize("/d/a"), 6u);
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_EQ(MustRead(&fs, "/d/a"), "synced");
  // Handles from before the crash are dead.
  EXPECT_FALSE(f->Append("x").ok());
}

TEST_F(FaultFileSystemTest, NewFileNeedsItsDirectorySynced) {
  auto f = MustCreate(&fs, "/d/new");
  ASSERT_TRUE(f->Append("data").ok());
  ASSERT_TRUE(f->Sync().ok());  // data durable, but the name is not
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_FALSE(fs.Exists("/d/new"));

  auto g = MustCreate(&fs, "/d/new");
  ASSERT_TRUE(g->Append("data").ok());
  ASSERT_TRUE(g->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_EQ(MustRead(&fs, "/d/new"), "data");
}

TEST_F(FaultFileSystemTest, RenameAndRemoveAreUndoneWithoutDirectorySync) {
  Durable("old", "1");
  Durable("gone", "2");
  ASSERT_TRUE(fs.Rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(fs.RemoveFile("/d/gone").ok());
  EXPECT_FALSE(fs.Exists("/d/old"));
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_TRUE(fs.Exists("/d/old"));
  EXPECT_FALSE(fs.Exists("/d/new"));
  EXPECT_TRUE(fs.Exists("/d/gone"));

  ASSERT_TRUE(fs.Rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(fs.RemoveFile("/d/gone").ok());
  ASSERT_TRUE(fs.SyncDir("/d").ok());
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_FALSE(fs.Exists("/d/old"));
  EXPECT_EQ(MustRead(&fs, "/d/new"), "1");
  EXPECT_FALSE(fs.Exists("/d/gone"));
}

TEST_F(FaultFileSystemTest, FailedSyncLosesTheDataForGood) {
  auto f = Durable("a", "base");
  ASSERT_TRUE(f->Append("-first").ok());
  fs.FailSyncs(1);
  EXPECT_EQ(f->Sync().code(), Status::Code::kIoError);
  // Reads still see the data (the page cache has it) ...
  EXPECT_EQ(MustRead(&fs, "/d/a"), "base-first");
  ASSERT_TRUE(f->Append("-second").ok());
  // ... and a retried fsync "succeeds", yet only what was written after the failure is durable.
  ASSERT_TRUE(f->Sync().ok());
  fs.Crash(1, CrashMode::kDropUnsynced);
  std::string after = MustRead(&fs, "/d/a");
  EXPECT_EQ(after.substr(0, 4), "base");
  EXPECT_EQ(after.find("first"), std::string::npos);
  EXPECT_NE(after.find("-second"), std::string::npos);
}

TEST_F(FaultFileSystemTest, TornWriteKeepsAPrefixOfTheUnsyncedWrites) {
  bool saw_partial = false;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FaultFileSystem local;
    ASSERT_TRUE(local.CreateDir("/d").ok());
    auto f = MustCreate(&local, "/d/a");
    ASSERT_TRUE(f->Append("SYNCED").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(local.SyncDir("/d").ok());
    ASSERT_TRUE(f->Append("abcdefgh").ok());
    ASSERT_TRUE(f->Append("ijklmnop").ok());
    local.Crash(seed, CrashMode::kTearUnsynced);
    std::string after = MustRead(&local, "/d/a");
    std::string full = "SYNCEDabcdefghijklmnop";
    ASSERT_GE(after.size(), 6u);
    EXPECT_EQ(after, full.substr(0, after.size())) << seed;
    if (after.size() > 6 && after.size() < full.size()) saw_partial = true;
  }
  EXPECT_TRUE(saw_partial);
}

TEST_F(FaultFileSystemTest, CorruptModeFlipsOneBitOfUnsyncedData) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FaultFileSystem local;
    ASSERT_TRUE(local.CreateDir("/d").ok());
    auto f = MustCreate(&local, "/d/a");
    std::string synced(100, 'S');
    ASSERT_TRUE(f->Append(synced).ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(local.SyncDir("/d").ok());
    std::string unsynced(100, 'U');
    ASSERT_TRUE(f->Append(unsynced).ok());
    local.Crash(seed, CrashMode::kCorruptUnsynced);
    std::string after = MustRead(&local, "/d/a");
    ASSERT_EQ(after.substr(0, 100), synced) << "synced bytes must never change";
    int differing_bits = 0;
    for (size_t i = 100; i < after.size(); ++i) {
      differing_bits += __builtin_popcount(static_cast<uint8_t>(after[i] ^ 'U'));
    }
    EXPECT_LE(differing_bits, 1) << seed;
  }
}

TEST_F(FaultFileSystemTest, PreallocationIsDurableOnlyAfterSync) {
  auto f = Durable("a", "x");
  ASSERT_TRUE(f->Preallocate(100).ok());
  EXPECT_EQ(*fs.FileSize("/d/a"), 100u);
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_EQ(*fs.FileSize("/d/a"), 1u);
}

TEST_F(FaultFileSystemTest, ProcessDiesAfterTheGivenNumberOfOperations) {
  auto f = Durable("a", "x");
  fs.CrashAfterOps(2);
  EXPECT_TRUE(f->Append("1").ok());
  EXPECT_TRUE(f->Append("2").ok());
  EXPECT_FALSE(f->Append("3").ok());
  EXPECT_TRUE(fs.dead());
  EXPECT_FALSE(fs.ReadFile("/d/a").ok());
  EXPECT_FALSE(fs.SyncDir("/d").ok());
  fs.Crash(1, CrashMode::kDropUnsynced);
  EXPECT_FALSE(fs.dead());
  EXPECT_EQ(MustRead(&fs, "/d/a"), "x");
}

TEST_F(FaultFileSystemTest, SpaceLimitIsResourceExhausted) {
  fs.SetSpaceLimitBytes(10);
  auto f = MustCreate(&fs, "/d/a");
  EXPECT_TRUE(f->Append("12345678").ok());
  Status st = f->Append("abc");
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(st.message().find("no space left"), std::string::npos);
  EXPECT_EQ(f->Preallocate(11).code(), Status::Code::kResourceExhausted);
  EXPECT_TRUE(f->Append("ab").ok());
  EXPECT_EQ(MustRead(&fs, "/d/a"), "12345678ab");
  EXPECT_EQ(*fs.FreeSpaceBytes("/d"), 0u);
}

}  // namespace
}  // namespace corral::env
