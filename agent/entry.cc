// The `groundtruth agent` and `groundtruth certs` subcommands as cli/commands.h declares them.
#include <limits.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "agent/main.h"

namespace gt {
namespace {

// The groundtruth binary links the Kubernetes client, YAML and JSON libraries the agent never
// uses, and their pages count in the agent's resident memory; the separately linked
// groundtruth-agent (agent/CMakeLists.txt) does the same work in less. Exec it when it sits
// beside this binary, so `groundtruth agent` keeps its pid, signals and output; without it
// the agent runs here, unchanged.
void ExecLeanAgentIfBeside(int argc, char** argv) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  std::string path(self, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return;
  path.resize(slash + 1);
  path += "groundtruth-agent";
  if (::access(path.c_str(), X_OK) != 0) return;
  std::vector<char*> args;
  args.reserve(static_cast<size_t>(argc) + 1);
  args.push_back(path.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(path.c_str(), args.data());
  // Exec failed (e.g. a foreign architecture): run in process.
}

}  // namespace

int AgentMain(int argc, char** argv) {
  ExecLeanAgentIfBeside(argc, argv);
  return agent::AgentMain(argc, argv);
}
int CertsMain(int argc, char** argv) { return agent::CertsMain(argc, argv); }

}  // namespace gt
