// corral-sim: runs the deterministic simulator.
//   corral-sim --seeds 1..1000 [--members 3|5]   sweep; prints failures and a summary
//   corral-sim --seed N [--members M] [--verbose] one run; --verbose prints its trace
//   --no-promise-check: do not stop at a message that promises more than the disk holds (to
//   see what the broken promise leads to)
// Without --members, even seeds run 3 members and odd seeds 5. Exit status 1 if any run failed.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/abort_reporter.h"
#include "sim/run_seed.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: corral-sim --seeds A..B [--members 3|5]\n"
               "       corral-sim --seed N [--members M] [--verbose]\n"
               "       --no-promise-check  let broken durability promises through\n");
  std::exit(2);
}

bool ParseRange(const char* text, uint64_t* first, uint64_t* last) {
  const char* dots = std::strstr(text, "..");
  if (dots == nullptr) return false;
  *first = std::strtoull(text, nullptr, 10);
  *last = std::strtoull(dots + 2, nullptr, 10);
  return *first <= *last;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t first = 1, last = 100;
  int members = 0;
  bool verbose = false;
  bool single = false;
  bool check_promises = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--seeds" && has_value) {
      if (!ParseRange(argv[++i], &first, &last)) Usage();
    } else if (arg == "--seed" && has_value) {
      first = last = std::strtoull(argv[++i], nullptr, 10);
      single = true;
    } else if (arg == "--members" && has_value) {
      members = std::atoi(argv[++i]);
      if (members < 1) Usage();
    } else if (arg == "--no-promise-check") {
      check_promises = false;
    } else if (arg == "--verbose") {
      verbose = true;
    } else {
      Usage();
    }
  }
  corral::sim::InstallAbortReporter();
  // A core assertion aborts the process: the trace up to it must be out already.
  if (verbose) std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0, failures = 0, committed = 0, acked = 0, steps = 0, crashes = 0, snapshots = 0;
  for (uint64_t seed = first;; ++seed) {
    const int n = members > 0 ? members : corral::sim::DefaultMembers(seed);
    corral::sim::RunResult r =
        corral::sim::RunSeed(seed, n, verbose ? stdout : nullptr, check_promises);
    ++runs;
    committed += r.committed_entries;
    acked += r.acknowledged_writes;
    steps += r.steps;
    crashes += r.crashes;
    snapshots += r.snapshot_transfers;
    if (!r.ok) {
      ++failures;
      std::printf("FAIL %s\n  replay: %s\n", r.failure.c_str(),
                  corral::sim::ReplayCommand(seed, n).c_str());
    }
    if (single || verbose) {
      std::printf(
          "seed %llu members %d: %s ticks=%lld steps=%llu committed=%zu acked=%zu leaders=%zu "
          "crashes=%zu snapshots=%zu converge_ticks=%lld trace=%016llx\n",
          static_cast<unsigned long long>(seed), n, r.ok ? "ok" : "FAILED",
          static_cast<long long>(r.ticks), static_cast<unsigned long long>(r.steps),
          r.committed_entries, r.acknowledged_writes, r.epochs_with_leader, r.crashes,
          r.snapshot_transfers, static_cast<long long>(r.converge_ticks),
          static_cast<unsigned long long>(r.trace_hash));
    }
    std::fflush(stdout);
    if (seed == last) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "%llu runs, %llu failed, %.1f s, %.1f runs/s; %llu steps, %llu committed, %llu "
      "acknowledged, %llu crashes, %llu snapshot transfers\n",
      static_cast<unsigned long long>(runs), static_cast<unsigned long long>(failures), seconds,
      seconds > 0 ? runs / seconds : 0.0, static_cast<unsigned long long>(steps),
      static_cast<unsigned long long>(committed), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(snapshots));
  return failures == 0 ? 0 : 1;
}
