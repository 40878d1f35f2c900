// Record framing and RecordReader's verdicts, in the spirit of LevelDB's log_test: clean ends,
// zero-filled tails, torn writes at every byte, and every single-bit flip in every record
// reported as corruption at the right offset.
#include "storage/record_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "storage/record_format.h"
#include "storage_test_util.h"

namespace corral::storage {
namespace {

using Outcome = RecordReader::Outcome;
using testing::StringFile;

struct ReadAll {
  std::vector<std::string> payloads;
  std::vector<uint64_t> offsets;
  Outcome outcome = Outcome::kRecord;
  uint64_t valid_end = 0;
  uint64_t torn_bytes = 0;
  std::string message;
};

ReadAll Read(const std::string& bytes, uint64_t record_bytes_max = 1 << 24) {
  StringFile file(bytes);
  RecordReader reader(&file, "test.file", record_bytes_max);
  ReadAll out;
  Record r;
  while ((out.outcome = reader.Next(&r)) == Outcome::kRecord) {
    out.payloads.emplace_back(r.payload);
    out.offsets.push_back(r.offset);
    EXPECT_EQ(r.type, RecordType::kLogEntry);
  }
  out.valid_end = reader.valid_end();
  out.torn_bytes = reader.torn_bytes();
  out.message = reader.status().message();
  EXPECT_EQ(reader.Next(&r), out.outcome) << "outcomes are sticky";
  return out;
}

std::string Records(const std::vector<std::string>& payloads,
                    std::vector<uint64_t>* offsets = nullptr) {
  std::string out;
  for (const auto& p : payloads) {
    if (offsets != nullptr) offsets->push_back(out.size());
    AppendRecord(&out, RecordType::kLogEntry, p);
  }
  return out;
}

std::string Payload(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i * 7));
  return s;
}

const std::vector<std::string> kThree = {"first", Payload(300, 'b'),
                                         std::string("\0\0tail\0\0", 8)};

TEST(RecordFormat, LayoutIsAsDocumented) {
  std::string r;
  AppendRecord(&r, RecordType::kLogEntry, "abc");
  ASSERT_EQ(r.size(), kRecordOverheadBytes + 3);
  EXPECT_EQ(GetFixed32(r.data()), 3u);
  EXPECT_EQ(static_cast<uint8_t>(r[4]), static_cast<uint8_t>(RecordType::kLogEntry));
  EXPECT_EQ(GetFixed32(r.data() + 5), RecordCrc(2, "abc", 3));
  EXPECT_EQ(r.substr(9, 3), "abc");
  EXPECT_EQ(static_cast<uint8_t>(r.back()), kRecordTrailer);
}

TEST(RecordReader, EmptyFileIsACleanEnd) {
  ReadAll r = Read("");
  EXPECT_EQ(r.outcome, Outcome::kEnd);
  EXPECT_EQ(r.valid_end, 0u);
}

TEST(RecordReader, ReadsBackEveryRecord) {
  std::vector<std::string> payloads = {"", "x", Payload(100, 'a'), Payload(3 << 20, 'z'),
                                       Payload(5, 'q')};
  std::vector<uint64_t> offsets;
  std::string bytes = Records(payloads, &offsets);
  ReadAll r = Read(bytes);
  EXPECT_EQ(r.outcome, Outcome::kEnd);
  EXPECT_EQ(r.payloads, payloads);
  EXPECT_EQ(r.offsets, offsets);
  EXPECT_EQ(r.valid_end, bytes.size());
}

TEST(RecordReader, ManySmallRecordsAcrossReadChunks) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 30000; ++i) payloads.push_back(Payload(static_cast<size_t>(i % 97), 'k'));
  ReadAll r = Read(Records(payloads));
  EXPECT_EQ(r.outcome, Outcome::kEnd);
  EXPECT_EQ(r.payloads, payloads);
}

TEST(RecordReader, ZeroFilledTailIsACleanEnd) {
  std::string bytes = Records(kThree);
  ReadAll r = Read(bytes + std::string(5000, '\0'));
  EXPECT_EQ(r.outcome, Outcome::kEnd);
  EXPECT_EQ(r.payloads, kThree);
  EXPECT_EQ(r.valid_end, bytes.size());
  // Fewer zeros than a header, too.
  EXPECT_EQ(Read(bytes + std::string(3, '\0')).outcome, Outcome::kEnd);
}

TEST(RecordReader, TruncatedHeaderIsTorn) {
  std::string bytes = Records(kThree);
  std::string partial = Records({"next"}).substr(0, 5);
  ReadAll r = Read(bytes + partial);
  EXPECT_EQ(r.outcome, Outcome::kTornTail);
  EXPECT_EQ(r.valid_end, bytes.size());
  EXPECT_EQ(r.payloads, kThree);
  EXPECT_NE(r.message.find("test.file"), std::string::npos);
  EXPECT_NE(r.message.find("offset " + std::to_string(bytes.size())), std::string::npos)
      << r.message;
}

TEST(RecordReader, TruncatedPayloadIsTornAtEndOfFileOrBeforeZeros) {
  std::string bytes = Records(kThree);
  std::string next = Records({Payload(200, 'n')});
  for (size_t cut : {size_t{10}, size_t{100}, next.size() - 1}) {
    ReadAll at_eof = Read(bytes + next.substr(0, cut));
    EXPECT_EQ(at_eof.outcome, Outcome::kTornTail) << cut;
    EXPECT_EQ(at_eof.valid_end, bytes.size());
    EXPECT_EQ(at_eof.torn_bytes, cut);
    ReadAll before_zeros = Read(bytes + next.substr(0, cut) + std::string(4096, '\0'));
    EXPECT_EQ(before_zeros.outcome, Outcome::kTornTail) << cut;
    EXPECT_EQ(before_zeros.valid_end, bytes.size());
  }
}

// A write cut at any byte (the tail of a log after a crash, with or without preallocated zeros
// after it) is a torn tail at the first incomplete record, and every complete record before it
// is read.
TEST(RecordReader, EveryCutOfTheLastWriteIsATornTail) {
  std::vector<uint64_t> offsets;
  std::string synced = Records(kThree);
  std::vector<std::string> batch = {Payload(40, 'a'), Payload(0, 'b'), Payload(70, 'c')};
  std::string unsynced = Records(batch, &offsets);
  for (bool zeros : {false, true}) {
    for (size_t cut = 0; cut < unsynced.size(); ++cut) {
      std::string file = synced + unsynced.substr(0, cut) + (zeros ? std::string(500, '\0') : "");
      ReadAll r = Read(file);
      size_t complete = 0;
      while (complete < batch.size() &&
             offsets[complete] + kRecordOverheadBytes + batch[complete].size() <= cut) {
        ++complete;
      }
      uint64_t expected_end =
          synced.size() + (complete < batch.size() ? offsets[complete] : unsynced.size());
      ASSERT_TRUE(r.outcome == Outcome::kTornTail || r.outcome == Outcome::kEnd)
          << "cut " << cut << ": " << r.message;
      EXPECT_EQ(r.valid_end, expected_end) << "cut " << cut;
      EXPECT_EQ(r.payloads.size(), kThree.size() + complete) << "cut " << cut;
    }
  }
}

// Every single-bit flip anywhere in any record is corruption at that record's offset, never a
// torn tail or a clean end, including in the last record and with zeros after it.
TEST(RecordReader, EverySingleBitFlipIsCorruptionAtTheRightOffset) {
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  for (bool zeros : {false, true}) {
    for (size_t byte = 0; byte < bytes.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string file = bytes;
        file[byte] = static_cast<char>(file[byte] ^ (1 << bit));
        if (zeros) file += std::string(1000, '\0');
        size_t index = 0;
        while (index + 1 < offsets.size() && offsets[index + 1] <= byte) ++index;
        ReadAll r = Read(file);
        ASSERT_EQ(r.outcome, Outcome::kCorruption)
            << "byte " << byte << " bit " << bit << " zeros " << zeros << ": " << r.message;
        EXPECT_EQ(r.valid_end, offsets[index]) << "byte " << byte << " bit " << bit;
        EXPECT_EQ(r.payloads.size(), index);
        EXPECT_NE(r.message.find("offset " + std::to_string(offsets[index])), std::string::npos)
            << r.message;
      }
    }
  }
}

// The same with a torn write after the damaged record (a crash while the next batch was being
// written): the cut-short tail must not hide the damage before it.
TEST(RecordReader, BitFlipInTheLastRecordBeforeATornWriteIsCorruption) {
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  std::string next = Records({Payload(60, 'n')});
  for (size_t torn : {size_t{1}, size_t{6}, size_t{9}, size_t{30}, next.size() - 1}) {
    for (size_t byte = offsets[2]; byte < bytes.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string file = bytes + next.substr(0, torn) + std::string(300, '\0');
        file[byte] = static_cast<char>(file[byte] ^ (1 << bit));
        ReadAll r = Read(file);
        ASSERT_EQ(r.outcome, Outcome::kCorruption)
            << "torn " << torn << " byte " << byte << " bit " << bit << ": " << r.message;
        EXPECT_EQ(r.valid_end, offsets[2]);
      }
    }
  }
}

TEST(RecordReader, ChecksumMismatchInTheMiddleNamesTheValidRecordAfter) {
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  bytes[offsets[1] + kRecordHeaderBytes + 10] ^= 0x40;
  ReadAll r = Read(bytes);
  EXPECT_EQ(r.outcome, Outcome::kCorruption);
  EXPECT_EQ(r.valid_end, offsets[1]);
  EXPECT_NE(r.message.find("checksum mismatch"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("valid record follows at byte offset " + std::to_string(offsets[2])),
            std::string::npos)
      << r.message;
}

TEST(RecordReader, BadTypeIsCorruption) {
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  for (size_t i : {size_t{1}, size_t{2}}) {
    std::string file = bytes;
    file[offsets[i] + 4] = static_cast<char>(0xee);
    ReadAll r = Read(file);
    EXPECT_EQ(r.outcome, Outcome::kCorruption) << i;
    EXPECT_EQ(r.valid_end, offsets[i]);
    EXPECT_NE(r.message.find("unknown record type 238"), std::string::npos) << r.message;
  }
}

TEST(RecordReader, ImpossibleLengthIsCorruption) {
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  for (size_t i : {size_t{0}, size_t{2}}) {
    std::string file = bytes;
    PutFixed32(file.data() + offsets[i], 0xfffffff0u);
    ReadAll r = Read(file + std::string(64, '\0'));
    EXPECT_EQ(r.outcome, Outcome::kCorruption) << i << ": " << r.message;
    EXPECT_EQ(r.valid_end, offsets[i]);
  }
  // A length within the file, over record_bytes_max.
  ReadAll r = Read(Records({Payload(100, 'x'), "y"}), /*record_bytes_max=*/50);
  EXPECT_EQ(r.outcome, Outcome::kCorruption);
  EXPECT_EQ(r.valid_end, 0u);
  EXPECT_NE(r.message.find("impossible record length 100"), std::string::npos) << r.message;
}

TEST(RecordReader, ZeroedBlockInTheMiddleIsCorruption) {
  // A block of synced data that reads back as zeros (a lost write, a bad sector), with valid
  // records after it: not a preallocated tail.
  std::vector<uint64_t> offsets;
  std::string bytes = Records(kThree, &offsets);
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(offsets[1]),
            bytes.begin() + static_cast<ptrdiff_t>(offsets[2]), '\0');
  ReadAll r = Read(bytes);
  EXPECT_EQ(r.outcome, Outcome::kCorruption);
  EXPECT_EQ(r.valid_end, offsets[1]);
  EXPECT_NE(r.message.find("zero-filled header"), std::string::npos) << r.message;
}

TEST(RecordReader, GarbageAfterTheLastRecordIsCorruption) {
  std::string bytes = Records(kThree);
  ReadAll r = Read(bytes + std::string(1, '\0') + "junk" + std::string(100, '\0'));
  EXPECT_EQ(r.outcome, Outcome::kCorruption) << r.message;
  EXPECT_EQ(r.valid_end, bytes.size());
}

// The documented limit of telling torn from corrupt: if the part of a record that a crash cut
// off contained a complete framed record of its own, the reader cannot know it was never a
// real record and stops rather than truncating.
TEST(RecordReader, TornRecordEmbeddingARecordIsConservativelyCorruption) {
  std::string inner = Records({"inner"});
  std::string outer = Records({"pad" + inner + Payload(50, 'p')});
  size_t cut = 3 + kRecordHeaderBytes + inner.size() + 10;  // inside the outer payload
  ReadAll r = Read(outer.substr(0, cut));
  EXPECT_EQ(r.outcome, Outcome::kCorruption);
  EXPECT_EQ(r.valid_end, 0u);
}

}  // namespace
}  // namespace corral::storage
