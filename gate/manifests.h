// Which workloads a manifest file, a directory of manifests, standard input or a
// kustomization names. Plain YAML/JSON (multi-document, List kinds flattened) is read here;
// a kustomization is rendered by the real kustomize (gate/kustomize.h), never approximated.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "gate/verdict.h"

namespace gt::gate {

// The path that means standard input (`--manifests -`).
inline constexpr std::string_view kStdinPath = "-";

// The PATH the renderer is looked up on.
inline std::string SearchPathFromEnv() {
  const char* path = std::getenv("PATH");
  return path ? path : "";
}

// A file, "-" (standard input) or a directory (its *.yaml, *.yml, *.json files,
// recursively; a directory holding a kustomization file is rendered as -k would). Objects
// without a namespace get `default_namespace`. Only apps/v1 Deployments, StatefulSets and
// DaemonSets are kept.
Result<std::vector<WorkloadKey>> WorkloadsFromManifests(
    const std::string& path, const std::string& default_namespace,
    const std::string& search_path = SearchPathFromEnv());

// The same over text already read; `origin` names it in errors.
Result<std::vector<WorkloadKey>> WorkloadsFromManifestText(const std::string& text,
                                                           const std::string& origin,
                                                           const std::string& default_namespace);

// `dir` must hold kustomization.yaml, kustomization.yml or Kustomization; it is rendered
// with `kubectl kustomize` or `kustomize build` found on `search_path`.
Result<std::vector<WorkloadKey>> WorkloadsFromKustomization(
    const std::string& dir, const std::string& default_namespace,
    const std::string& search_path = SearchPathFromEnv());

}  // namespace gt::gate
