// groundtruth: one binary, one subcommand per part. main only dispatches.
#include <fmt/format.h>

#include <cstdio>
#include <string_view>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/version.h"
#include "contract/exit_codes.h"

namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*main)(int argc, char** argv);
};

constexpr Subcommand kSubcommands[] = {
    {"run", "run a command in a transient cgroup with a manifest's limits and judge it",
     gt::RunMain},
    {"check", "judge an existing cgroup against a manifest's limits", gt::CheckMain},
    // One line per part, e.g.:
    {"agent", "node agent: sample cgroups, serve them over mutual TLS", gt::AgentMain},
    {"controller", "write RuntimeCompliant on GitOps-managed workloads", gt::ControllerMain},
    {"gate", "CI gate: wait for fresh verdicts held True for a soak", gt::GateMain},
    {"certs", "create the TLS material for agent and controller", gt::CertsMain},
    {"cleanup", "withdraw every condition and annotation groundtruth wrote (uninstall)",
     gt::CleanupMain},
};

void Usage(std::FILE* out) {
  fmt::print(out, "usage: groundtruth <command> [flags]\n\ncommands:\n");
  for (const Subcommand& s : kSubcommands) fmt::print(out, "  {:<11} {}\n", s.name, s.summary);
  fmt::print(out, "  {:<11} {}\n", "version", "print the version, git revision and its date");
  fmt::print(out,
             "\nexit codes: 0 compliant, 1 not compliant, 2 unknown, 3 usage or configuration "
             "error\n`groundtruth <command> --help` for its flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return gt::contract::kExitUsage;
  }
  const std::string_view command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    Usage(stdout);
    return 0;
  }
  if (command == "version" || command == "--version") {
    fmt::print("{}\n", gt::VersionLine("groundtruth"));
    return 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (s.name == command) return s.main(argc - 1, argv + 1);
  }
  fmt::print(stderr, "groundtruth: unknown command \"{}\"\n\n", command);
  Usage(stderr);
  return gt::contract::kExitUsage;
}
