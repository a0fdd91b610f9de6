// Reads the declared resources of one container from a Kubernetes manifest (Deployment,
// StatefulSet, DaemonSet or Pod; multi-document YAML, a v1 List's items, standard input).
// Native sidecars (init containers with restartPolicy: Always) are containers here, as in
// the controller; classic init containers run to completion first and are not judged. The only
// place YAML is parsed for `run` and `check`; yaml-cpp exceptions stop here.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "reconcile/observation.h"

namespace gt::cli {

struct ManifestSelection {
  std::string workload_name;  // --name; empty: the first workload document
  std::string container;      // --container; empty: the only (or first) container
};

struct ManifestWorkload {
  std::string path;
  int document = 0;  // 1-based index of the YAML document in the file
  std::string kind;  // Deployment | StatefulSet | DaemonSet | Pod
  std::string name;
  std::string namespace_name;           // empty when the manifest does not say
  int64_t generation = 0;               // metadata.generation when present (never in Git; 0 then)
  std::vector<std::string> containers;  // every container of the pod template, in order
  std::string container;                // the one selected
  reconcile::DeclaredLimits declared;
  // groundtruth.dev/* annotations of the workload, prefix removed ("cpu-throttled.ratio").
  std::map<std::string, std::string> overrides;
  // Things a person should know about the choice: "3 containers; judging the first, web".
  std::vector<std::string> notes;
};

// The path that means "read the manifest from standard input" (`-f -`, as kubectl).
inline constexpr std::string_view kStdinPath = "-";

// Errors name the file, the document index and the field: kNotFound (file, workload,
// container), kMalformed (YAML syntax, with its line), kInvalid (a bad quantity or a field
// of the wrong shape).
Result<ManifestWorkload> ReadManifest(const std::string& path, const ManifestSelection& selection);

// The same on text already read; `path` only names it in errors.
Result<ManifestWorkload> ParseManifest(std::string_view yaml, const std::string& path,
                                       const ManifestSelection& selection);

}  // namespace gt::cli
