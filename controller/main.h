// `groundtruth controller`: the cluster-side loop. Wires flags to the Controller and its
// adapters; all logic lives in the library.
#pragma once

namespace gt::controller {

// Returns the process exit code (3: usage or configuration error).
int ControllerMain(int argc, char** argv);

// The allocator settings the controller runs with; ControllerMain applies them first, and
// the benchmark too, so that it measures what runs. Call before starting threads.
void TuneAllocator();

}  // namespace gt::controller
