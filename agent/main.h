// Entry points for `groundtruth agent` and `groundtruth certs` (cli/main.cc dispatches).
#pragma once

namespace gt::agent {

// Returns the process exit code: 0 after a clean stop (SIGTERM/SIGINT), 3 on bad flags or
// configuration, 1 when it cannot start.
int AgentMain(int argc, char** argv);

int CertsMain(int argc, char** argv);  // defined in certs.cc

// Large transient buffers (a sample's JSON, ~0.5 MiB on a 110-pod node) go back to the
// system after each tick instead of raising glibc's mmap threshold and staying resident;
// at most two malloc arenas however many threads serve.
void TuneAllocatorForSteadyState();

}  // namespace gt::agent
