#pragma once
// When the core (or the state machine) stops the process on a broken invariant, the simulator
// cannot return a failure: the process aborts. This reporter makes that abort say which run it
// was and how to replay it, from the SIGABRT handler.
#include <cstdint>

namespace corral::sim {

// Installs the SIGABRT handler (idempotent).
void InstallAbortReporter();
// Remembers the run in progress for the handler; cheap enough to call per run.
void SetCurrentRun(uint64_t seed, int members);
void ClearCurrentRun();

}  // namespace corral::sim
