// Which workloads the controller judges (docs/contract.md "Annotations").
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "controller/model.h"

namespace gt::controller {

enum class Scope {
  kGitOps,  // only workloads a GitOps tool manages (the default)
  kAll,     // every workload
};

Result<Scope> ParseScope(std::string_view text);  // "gitops" | "all"

// Argo CD: tracking label app.kubernetes.io/instance (or argocd.argoproj.io/instance) or
// annotation argocd.argoproj.io/tracking-id. Flux: any kustomize.toolkit.fluxcd.io/* or
// helm.toolkit.fluxcd.io/* label.
bool IsGitOpsManaged(const std::map<std::string, std::string>& labels,
                     const std::map<std::string, std::string>& annotations);

// Opt-out wins over scope: groundtruth.dev/enabled: "false" is never judged.
bool InScope(const Workload& workload, Scope scope);

}  // namespace gt::controller
