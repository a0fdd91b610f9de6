// Which workloads a directory of manifests or a kustomization names. Reads plain YAML
// only; of kustomize's transformers it applies `namespace:`, `namePrefix:` and
// `nameSuffix:` (outer kustomizations over inner ones), follows `resources:` (and the
// deprecated `bases:`) into files and directories, and refuses remote resources,
// generators' output being irrelevant (they make ConfigMaps and Secrets, not workloads).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "gate/verdict.h"

namespace gt::gate {

// A file or a directory (its *.yaml, *.yml, *.json files; a directory holding a
// kustomization file is read as a kustomization). Objects without a namespace get
// `default_namespace`. Only apps/v1 Deployments, StatefulSets and DaemonSets are kept.
Result<std::vector<WorkloadKey>> WorkloadsFromManifests(const std::string& path,
                                                        const std::string& default_namespace);

// `dir` must hold kustomization.yaml, kustomization.yml or Kustomization.
Result<std::vector<WorkloadKey>> WorkloadsFromKustomization(const std::string& dir,
                                                            const std::string& default_namespace);

}  // namespace gt::gate
