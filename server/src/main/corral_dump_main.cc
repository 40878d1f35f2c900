// corral-dump: prints Corral's storage files record by record, for operators and for debugging.
//   corral-dump log FILE                 every entry of a log segment
//   corral-dump snapshot [--nodes] FILE  a snapshot's header and counts (and every node)
//   corral-dump meta FILE                the value in a metadata file (currentEpoch, ...)
// Exit status: 0 when the file checks out (a torn tail of a log counts: recovery truncates it),
// 1 on corruption (the message names the byte offset), 2 on usage or I/O errors.
// The same dumps are `corralctl dump ...` (storage/dump.h).
#include <cstdio>
#include <cstring>
#include <string>

#include "storage/dump.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: corral-dump log FILE\n"
               "       corral-dump snapshot [--nodes] FILE\n"
               "       corral-dump meta FILE\n"
               "Exit status: 0 valid, 1 corrupt (the message names the byte offset), 2 usage or "
               "I/O error.\n");
  return corral::storage::kDumpUnreadable;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace corral::storage;
  if (argc < 3) return Usage();
  std::string command = argv[1];
  if (command == "log" && argc == 3) return DumpLogSegment(argv[2], stdout);
  if (command == "meta" && argc == 3) return DumpMetaFile(argv[2], stdout);
  if (command == "snapshot") {
    if (argc == 3) return DumpSnapshot(argv[2], false, stdout);
    if (argc == 4 && std::strcmp(argv[2], "--nodes") == 0)
      return DumpSnapshot(argv[3], true, stdout);
  }
  return Usage();
}
