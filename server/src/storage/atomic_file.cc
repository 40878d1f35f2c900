#include "storage/atomic_file.h"

#include "storage/file_names.h"
#include "storage/record_format.h"
#include "storage/record_reader.h"

namespace corral::storage {

Status WriteFileAtomically(env::FileSystem* fs, const std::string& path,
                           std::string_view contents) {
  std::string record;
  AppendRecord(&record, RecordType::kMetadata, contents);
  return WritePlainFileAtomically(fs, path, record);
}

Status WritePlainFileAtomically(env::FileSystem* fs, const std::string& path,
                                std::string_view contents) {
  std::string temp_path = path + kTempSuffix;
  auto file = fs->CreateFile(temp_path);
  if (!file.ok()) return file.status();
  Status st = (*file)->Append(contents);
  if (st.ok()) st = (*file)->Sync();
  if (st.ok()) st = (*file)->Close();
  if (st.ok()) st = fs->Rename(temp_path, path);
  if (!st.ok()) {
    file->reset();
    (void)fs->RemoveFile(temp_path);  // best effort; the old value is intact either way
    return st;
  }
  return fs->SyncDir(env::DirName(path));
}

StatusOr<std::string> ReadAtomicFile(env::FileSystem* fs, const std::string& path) {
  auto file = fs->OpenReadableFile(path);
  if (!file.ok()) return file.status();
  RecordReader reader(file->get(), path, (*file)->size());
  Record record;
  auto outcome = reader.Next(&record);
  if (outcome == RecordReader::Outcome::kIoError) return reader.status();
  if (outcome == RecordReader::Outcome::kEnd) return CorruptionAt(path, 0, "empty metadata file");
  if (outcome != RecordReader::Outcome::kRecord) return reader.status();
  if (record.type != RecordType::kMetadata) {
    return CorruptionAt(path, 0,
                        std::string("a ") + RecordTypeName(record.type) + " record, not metadata");
  }
  std::string value(record.payload);
  if (reader.Next(&record) != RecordReader::Outcome::kEnd ||
      reader.valid_end() != reader.file_size()) {
    return CorruptionAt(path, reader.valid_end(), "bytes after the metadata record");
  }
  return value;
}

}  // namespace corral::storage
