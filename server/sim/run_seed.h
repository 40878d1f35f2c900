#pragma once
// One randomized run by seed: what both the corral-sim command and the CI sweep call.
#include <cstdint>
#include <cstdio>
#include <string>

#include "sim/simulation.h"

namespace corral::sim {

// The ensemble size a seed gets when none is asked for: seeds alternate between 3 and 5.
int DefaultMembers(uint64_t seed);
// Runs `seed` with `members` members (RandomConfig); `trace` gets the verbose trace when
// non-null. An abort inside the run names the seed (abort_reporter.h).
RunResult RunSeed(uint64_t seed, int members, std::FILE* trace = nullptr,
                  bool check_promises = true);
// "corral-sim --seed N --members M --verbose".
std::string ReplayCommand(uint64_t seed, int members);

}  // namespace corral::sim
