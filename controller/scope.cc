#include "controller/scope.h"

namespace gt::controller {

Result<Scope> ParseScope(std::string_view text) {
  if (text == "gitops") return Scope::kGitOps;
  if (text == "all") return Scope::kAll;
  return MakeError(ErrorCode::kInvalid,
                   "--scope must be \"gitops\" or \"all\", not \"" + std::string(text) + "\"");
}

bool IsGitOpsManaged(const std::map<std::string, std::string>& labels,
                     const std::map<std::string, std::string>& annotations) {
  if (labels.contains("app.kubernetes.io/instance") ||
      labels.contains("argocd.argoproj.io/instance") ||
      annotations.contains("argocd.argoproj.io/tracking-id")) {
    return true;
  }
  for (const auto& [key, value] : labels) {
    if (key.starts_with("kustomize.toolkit.fluxcd.io/") ||
        key.starts_with("helm.toolkit.fluxcd.io/")) {
      return true;
    }
  }
  return false;
}

bool InScope(const Workload& workload, Scope scope) {
  if (workload.opted_out) return false;
  return scope == Scope::kAll || workload.gitops_managed;
}

}  // namespace gt::controller
