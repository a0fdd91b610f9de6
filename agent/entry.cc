// The `groundtruth agent` and `groundtruth certs` subcommands as cli/commands.h declares them.
#include "agent/main.h"

namespace gt {

int AgentMain(int argc, char** argv) { return agent::AgentMain(argc, argv); }
int CertsMain(int argc, char** argv) { return agent::CertsMain(argc, argv); }

}  // namespace gt
