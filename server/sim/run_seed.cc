#include "sim/run_seed.h"

#include "sim/abort_reporter.h"

namespace corral::sim {

int DefaultMembers(uint64_t seed) { return seed % 2 == 0 ? 3 : 5; }

RunResult RunSeed(uint64_t seed, int members, std::FILE* trace, bool check_promises) {
  SetCurrentRun(seed, members);
  SimConfig config = RandomConfig(seed, members);
  config.trace_out = trace;
  config.check_promises = check_promises;
  if (trace != nullptr) std::fprintf(trace, "config: %s\n", DescribeConfig(config).c_str());
  RunResult result = Simulation(config).Run();
  ClearCurrentRun();
  return result;
}

std::string ReplayCommand(uint64_t seed, int members) {
  return "corral-sim --seed " + std::to_string(seed) + " --members " + std::to_string(members) +
         " --verbose";
}

}  // namespace corral::sim
