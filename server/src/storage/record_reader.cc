#include "storage/record_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/crc32c.h"

namespace corral::storage {
namespace {

constexpr size_t kReadChunkBytes = 1 << 20;

size_t FirstNonZeroIn(const char* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word != 0) break;
  }
  for (; i < n; ++i) {
    if (p[i] != 0) return i;
  }
  return n;
}

}  // namespace

Status CorruptionAt(const std::string& file_name, uint64_t offset, const std::string& what) {
  return Status::Corruption(file_name + ": " + what + " (record at byte offset " +
                            std::to_string(offset) + ")");
}

RecordReader::RecordReader(env::ReadableFile* file, std::string file_name,
                           uint64_t record_bytes_max)
    : file_(file), file_name_(std::move(file_name)), record_bytes_max_(record_bytes_max) {}

RecordReader::Outcome RecordReader::Stop(Outcome outcome, uint64_t valid_end, Status status) {
  stopped_ = true;
  outcome_ = outcome;
  valid_end_ = valid_end;
  status_ = std::move(status);
  buffer_.clear();
  buffer_.shrink_to_fit();
  return outcome;
}

Status RecordReader::Fill(uint64_t offset, size_t n, size_t* available) {
  uint64_t size = file_->size();
  uint64_t want_end = std::min<uint64_t>(offset + n, size);
  uint64_t have_end = buffer_offset_ + buffer_.size();
  if (offset >= buffer_offset_ && want_end <= have_end) {
    *available = static_cast<size_t>(have_end - offset);
    return Status::Ok();
  }
  // Keep what is still ahead of `offset` (the part of a record already read), drop the rest.
  if (offset >= buffer_offset_ && offset <= have_end) {
    buffer_.erase(0, static_cast<size_t>(offset - buffer_offset_));
  } else {
    buffer_.clear();
  }
  buffer_offset_ = offset;
  have_end = offset + buffer_.size();
  // Read ahead: small at first (reading a segment's header reads a few KiB, not a MiB), then
  // doubling up to kReadChunkBytes for a sequential scan.
  uint64_t read_end = std::min<uint64_t>(size, std::max<uint64_t>(want_end, offset + read_ahead_));
  read_ahead_ = std::min<size_t>(read_ahead_ * 2, kReadChunkBytes);
  if (read_end > have_end) {
    size_t old = buffer_.size();
    buffer_.resize(static_cast<size_t>(read_end - offset));
    size_t got = 0;
    Status st =
        file_->Read(have_end, static_cast<size_t>(read_end - have_end), buffer_.data() + old, &got);
    buffer_.resize(old + got);
    if (!st.ok()) return st;
  }
  *available = buffer_.size();
  return Status::Ok();
}

Status RecordReader::FirstNonZero(uint64_t from, uint64_t* found) {
  uint64_t size = file_->size();
  std::string chunk(kReadChunkBytes, '\0');
  for (uint64_t at = from; at < size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, size - at));
    size_t got = 0;
    CORRAL_RETURN_IF_ERROR(file_->Read(at, n, chunk.data(), &got));
    if (got == 0) break;
    size_t i = FirstNonZeroIn(chunk.data(), got);
    if (i < got) {
      *found = at + i;
      return Status::Ok();
    }
    at += got;
  }
  *found = size;
  return Status::Ok();
}

Status RecordReader::LastNonZero(uint64_t from, uint64_t* found) {
  uint64_t size = file_->size();
  std::string chunk(kReadChunkBytes, '\0');
  for (uint64_t end = size; end > from;) {
    uint64_t begin = end - std::min<uint64_t>(kReadChunkBytes, end - from);
    size_t n = static_cast<size_t>(end - begin);
    size_t got = 0;
    CORRAL_RETURN_IF_ERROR(file_->Read(begin, n, chunk.data(), &got));
    for (size_t i = got; i > 0; --i) {
      if (chunk[i - 1] != 0) {
        *found = begin + i - 1;
        return Status::Ok();
      }
    }
    end = begin;
  }
  *found = size;
  return Status::Ok();
}

std::optional<size_t> RecordReader::CompleteRecordLength(std::string_view region, uint8_t type,
                                                         uint32_t stored_crc) {
  // One CRC pass over the region, checked at every byte that could be the trailer.
  uint32_t crc = crc32c::Value(&type, 1);
  size_t done = kRecordHeaderBytes;
  for (size_t p = kRecordHeaderBytes; p < region.size(); ++p) {
    if (static_cast<uint8_t>(region[p]) != kRecordTrailer) continue;
    crc = crc32c::Extend(crc, region.data() + done, p - done);
    done = p;
    if (crc32c::Mask(crc) == stored_crc) return p - kRecordHeaderBytes;
  }
  return std::nullopt;
}

bool RecordReader::ValidRecordAt(std::string_view region, size_t at) const {
  if (region.size() - at < kRecordOverheadBytes) return false;
  const char* h = region.data() + at;
  uint32_t length = GetFixed32(h);
  auto type = static_cast<uint8_t>(h[4]);
  if (!IsKnownRecordType(type) || length > record_bytes_max_) return false;
  if (region.size() - at - kRecordOverheadBytes < length) return false;
  if (static_cast<uint8_t>(h[kRecordHeaderBytes + length]) != kRecordTrailer) return false;
  return RecordCrc(type, h + kRecordHeaderBytes, length) == GetFixed32(h + 5);
}

RecordReader::Outcome RecordReader::Damaged(uint64_t x, const std::string& reason) {
  // Only zeros from here: the unused, preallocated end of the file, not damage.
  uint64_t first_nonzero = 0;
  Status st = FirstNonZero(x, &first_nonzero);
  if (!st.ok()) return Stop(Outcome::kIoError, x, st);
  uint64_t size = file_->size();
  if (first_nonzero == size) return Stop(Outcome::kEnd, x, Status::Ok());

  uint64_t last_nonzero = 0;
  st = LastNonZero(x, &last_nonzero);
  if (!st.ok()) return Stop(Outcome::kIoError, x, st);
  std::string region(static_cast<size_t>(last_nonzero - x + 1), '\0');
  size_t got = 0;
  st = file_->Read(x, region.size(), region.data(), &got);
  if (!st.ok()) return Stop(Outcome::kIoError, x, st);
  if (got != region.size()) {
    return Stop(Outcome::kIoError, x, Status::IoError(file_name_ + ": short read"));
  }

  // A valid record further on means this one was not the last thing written: the damage is in
  // the middle of the data.
  for (size_t y = 1; y < region.size(); ++y) {
    if (ValidRecordAt(region, y)) {
      return Stop(Outcome::kCorruption, x,
                  CorruptionAt(
                      file_name_, x,
                      reason + "; a valid record follows at byte offset " + std::to_string(x + y)));
    }
  }

  // Header fields the write reached (everything up to last_nonzero was written) must be ones
  // a writer produces: a cut-short record still has a known type and a believable length.
  char header[kRecordHeaderBytes] = {};
  std::memcpy(header, region.data(), std::min(region.size(), kRecordHeaderBytes));
  uint64_t length = GetFixed32(header);
  if (last_nonzero >= x + 4 && !IsKnownRecordType(static_cast<uint8_t>(header[4]))) {
    return Stop(Outcome::kCorruption, x,
                CorruptionAt(file_name_, x, reason + "; its header is not a record header"));
  }
  if (last_nonzero >= x + 3 && length > record_bytes_max_) {
    return Stop(Outcome::kCorruption, x,
                CorruptionAt(file_name_, x, reason + "; its length field is not believable"));
  }
  if (size - x >= kRecordHeaderBytes) {
    uint64_t declared_trailer = x + kRecordHeaderBytes + length;
    if (last_nonzero > declared_trailer) {
      return Stop(Outcome::kCorruption, x,
                  CorruptionAt(file_name_, x, reason + "; non-zero bytes follow where it ends"));
    }
    if (last_nonzero == declared_trailer) {
      // The write reached the record's last byte, so it finished: this is damage, not a tear.
      return Stop(Outcome::kCorruption, x,
                  CorruptionAt(file_name_, x, reason + " in a completely written record"));
    }
    // The record looks cut short, unless a complete record with a damaged length starts here:
    // its trailer somewhere in [x, last_nonzero] (perhaps followed by the torn start of the
    // next write) and its checksum matching the payload that ends there.
    if (auto holds =
            CompleteRecordLength(region, static_cast<uint8_t>(header[4]), GetFixed32(header + 5))) {
      return Stop(Outcome::kCorruption, x,
                  CorruptionAt(file_name_, x,
                               "damaged length field (says " + std::to_string(length) +
                                   " bytes, the record holds " + std::to_string(*holds) + ")"));
    }
  }
  torn_bytes_ = region.size();
  return Stop(Outcome::kTornTail, x,
              CorruptionAt(file_name_, x,
                           "torn write: " + std::to_string(region.size()) +
                               " bytes of an incomplete record (" + reason + ")"));
}

RecordReader::Outcome RecordReader::Next(Record* record) {
  if (stopped_) return outcome_;
  uint64_t x = next_;
  uint64_t size = file_->size();
  if (x == size) return Stop(Outcome::kEnd, x, Status::Ok());
  size_t available = 0;
  Status st = Fill(x, kRecordHeaderBytes, &available);
  if (!st.ok()) return Stop(Outcome::kIoError, x, st);
  if (available < kRecordHeaderBytes) return Damaged(x, "truncated record header");
  const char* h = BufferAt(x);
  uint32_t length = GetFixed32(h);
  auto type = static_cast<uint8_t>(h[4]);
  uint32_t stored_crc = GetFixed32(h + 5);
  if (length == 0 && type == 0 && stored_crc == 0) return Damaged(x, "zero-filled header");
  if (!IsKnownRecordType(type)) return Damaged(x, "unknown record type " + std::to_string(type));
  if (length > record_bytes_max_) {
    return Damaged(x, "impossible record length " + std::to_string(length));
  }
  uint64_t total = kRecordOverheadBytes + uint64_t{length};
  if (x + total > size) return Damaged(x, "record runs past the end of the file");
  st = Fill(x, static_cast<size_t>(total), &available);
  if (!st.ok()) return Stop(Outcome::kIoError, x, st);
  if (available < total)
    return Stop(Outcome::kIoError, x, Status::IoError(file_name_ + ": short read"));
  const char* p = BufferAt(x);
  if (static_cast<uint8_t>(p[total - 1]) != kRecordTrailer) return Damaged(x, "missing trailer");
  if (RecordCrc(type, p + kRecordHeaderBytes, length) != stored_crc) {
    return Damaged(x, "checksum mismatch");
  }
  record->type = static_cast<RecordType>(type);
  record->payload = std::string_view(p + kRecordHeaderBytes, length);
  record->offset = x;
  next_ = x + total;
  valid_end_ = next_;
  return Outcome::kRecord;
}

}  // namespace corral::storage
