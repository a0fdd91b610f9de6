// One way every subcommand parses its flags, so --help, --version and a bad flag end alike.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "contract/exit_codes.h"

namespace gt {

// CLI11's parse with its exits mapped to ours: empty to go on, else the exit code (--help
// and --version 0, a bad flag contract::kExitUsage after CLI11 printed why).
inline std::optional<int> ParseArgs(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return contract::kExitUsage;
  }
  return std::nullopt;
}

}  // namespace gt
