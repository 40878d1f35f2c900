#pragma once
// Human-readable dumps of Corral's storage files, record by record, for operators and for
// debugging: what corral-dump and `corralctl dump` print. Each function checks the file the
// way recovery would and returns an exit status: kDumpValid (a torn tail of a log counts as
// valid: recovery truncates it), kDumpCorrupt (the message names the byte offset) or
// kDumpUnreadable (the file cannot be opened or read).
#include <cstdio>
#include <string>

namespace corral::storage {

constexpr int kDumpValid = 0;
constexpr int kDumpCorrupt = 1;
constexpr int kDumpUnreadable = 2;

// Every entry of a transaction log segment.
int DumpLogSegment(const std::string& path, std::FILE* out);
// A snapshot's header, footer and record counts; with nodes, every znode and session too.
int DumpSnapshot(const std::string& path, bool nodes, std::FILE* out);
// The value in a metadata file (currentEpoch, acceptedEpoch, ...).
int DumpMetaFile(const std::string& path, std::FILE* out);

}  // namespace corral::storage
