// Subcommands of the `groundtruth` binary. Each is `int XxxMain(int argc, char** argv)` with
// argv[0] the subcommand's name, returning the process exit code (docs/contract.md: 0 compliant,
// 1 not compliant, 2 unknown, 3 usage or configuration error).
//
// To add one: define the function (in your part's library), add its line to kSubcommands
// in cli/main.cc. Libraries named gt_agent_main, gt_controller_main, gt_gate and gt_certs
// are linked into the binary automatically when they exist (cli/CMakeLists.txt).
#pragma once

namespace gt {

int RunMain(int argc, char** argv);      // cli/run.cc
int CheckMain(int argc, char** argv);    // cli/run.cc
int CleanupMain(int argc, char** argv);  // cli/cleanup.cc

// Declared here so that adding a subcommand is one line in cli/main.cc.
int AgentMain(int argc, char** argv);
int ControllerMain(int argc, char** argv);
int GateMain(int argc, char** argv);
int CertsMain(int argc, char** argv);

}  // namespace gt
