// `groundtruth cleanup`: takes back every RuntimeCompliant condition and verdict annotation
// groundtruth's field manager owns, by the controller's own withdrawal (kube/apply.h), so an
// uninstalled groundtruth leaves no verdict nobody maintains (a stale False keeps a workload
// Degraded in Argo CD forever).
#pragma once

#include <cstdio>
#include <string>

#include "kube/client.h"

namespace gt::cleanup {

struct Options {
  std::string namespace_name;  // empty: every namespace
  bool dry_run = false;
};

struct Outcome {
  int listed = 0;          // workloads listed
  int ours = 0;            // carrying a condition or annotation our field manager owns
  int withdrawn = 0;       // of those, withdrawn (0 on a dry run)
  int failed = 0;          // of those, still ours after this run
  std::string list_error;  // a list failed: nothing was done from there on
};

std::string Where(const Options& options);      // "all namespaces", "namespace shop"
bool IsNamespaceName(const std::string& name);  // a DNS-1123 label, as the API requires

// Lists Deployments, StatefulSets and DaemonSets, withdraws ours (unless a dry run), and
// prints one line per workload of ours to `out` and failures and warnings to `err`.
Outcome Run(kube::KubeClient& client, const Options& options, std::FILE* out, std::FILE* err);

}  // namespace gt::cleanup
