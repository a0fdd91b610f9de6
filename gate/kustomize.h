// Renders a kustomization with the real kustomize: `kubectl kustomize DIR` or
// `kustomize build DIR`, whichever is on PATH (kubectl first). The gate used to apply a
// subset of kustomize itself; an overlay with components or a renaming patch then made it
// wait for objects that do not exist. Rendering with kustomize, or refusing, never guesses.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace gt::gate {

// The command line that renders `dir`, found on `search_path` (a PATH value). kNotFound,
// saying what to install, when neither kubectl nor kustomize is there.
Result<std::vector<std::string>> KustomizeCommand(const std::string& dir,
                                                  const std::string& search_path);

// Runs that command and returns its stdout (the rendered YAML). A renderer that fails,
// hangs past a minute or writes more than 64 MiB is an error quoting its stderr.
Result<std::string> RenderKustomization(const std::string& dir, const std::string& search_path);

}  // namespace gt::gate
