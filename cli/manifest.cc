#include "cli/manifest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/quantity.h"
#include "contract/annotation.h"
#include "contract/workload.h"

namespace gt::cli {
namespace {

using contract::kAnnotationPrefix;

// The controller's workload kinds, and a bare Pod: `run` and `check` judge one pod's limits.
bool IsWorkloadKind(const std::string& kind) {
  return contract::ParseWorkloadKind(kind) || kind == "Pod";
}

int LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string ScalarOr(const YAML::Node& node, std::string fallback = {}) {
  if (node && node.IsScalar()) return node.Scalar();
  return fallback;
}

// Where an error sits: "document 2 (Deployment web)".
std::string Where(int document, const std::string& kind, const std::string& name) {
  std::string out = "document " + std::to_string(document);
  if (!kind.empty()) out += " (" + kind + (name.empty() ? "" : " " + name) + ")";
  return out;
}

std::string JoinQuoted(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out.empty() ? "none" : out;
}

// A container the rules can judge, and the field that names it in errors.
struct JudgedContainer {
  YAML::Node node;
  std::string field;  // "spec.template.spec.initContainers[0]"
};

struct QuantityField {
  std::optional<uint64_t>* target;
  bool millis;  // cpu in millicores; memory in bytes
  bool limit;   // a limit must be > 0
};

// Reads resources.{requests,limits}.{cpu,memory} of one container node.
Status ReadResources(const YAML::Node& container, const std::string& field_prefix,
                     const std::string& path, const std::string& where,
                     reconcile::DeclaredLimits& declared) {
  const YAML::Node resources = container["resources"];
  if (!resources || resources.IsNull()) return OkStatus();
  if (!resources.IsMap()) {
    return MakeError(ErrorCode::kInvalid,
                     where + ": " + field_prefix + ".resources: expected a map", path,
                     LineOf(resources));
  }
  for (const char* section : {"requests", "limits"}) {
    const YAML::Node values = resources[section];
    if (!values || values.IsNull()) continue;
    const std::string section_field = field_prefix + ".resources." + section;
    if (!values.IsMap()) {
      return MakeError(ErrorCode::kInvalid, where + ": " + section_field + ": expected a map", path,
                       LineOf(values));
    }
    const bool limits = std::string_view(section) == "limits";
    for (const char* resource : {"cpu", "memory"}) {
      const YAML::Node value = values[resource];
      if (!value || value.IsNull()) continue;
      const std::string field = section_field + "." + resource;
      if (!value.IsScalar()) {
        return MakeError(ErrorCode::kInvalid, where + ": " + field + ": expected a quantity", path,
                         LineOf(value));
      }
      const std::string text = value.Scalar();
      Result<Quantity> q = Quantity::Parse(text);
      if (!q) {
        return MakeError(ErrorCode::kInvalid, where + ": " + field + ": " + q.error().message, path,
                         LineOf(value));
      }
      if (q->negative()) {
        return MakeError(ErrorCode::kInvalid,
                         where + ": " + field + ": \"" + text + "\" must not be negative", path,
                         LineOf(value));
      }
      const bool cpu = std::string_view(resource) == "cpu";
      std::optional<int64_t> amount = cpu ? q->MilliValue() : q->Value();
      if (!amount) {
        return MakeError(ErrorCode::kInvalid,
                         where + ": " + field + ": \"" + text + "\" is too large", path,
                         LineOf(value));
      }
      if (limits && *amount == 0) {
        return MakeError(ErrorCode::kInvalid,
                         where + ": " + field + ": a limit of \"" + text + "\" cannot run anything",
                         path, LineOf(value));
      }
      std::optional<uint64_t>& slot =
          cpu ? (limits ? declared.cpu_limit_millicores : declared.cpu_request_millicores)
              : (limits ? declared.memory_limit_bytes : declared.memory_request_bytes);
      slot = static_cast<uint64_t>(*amount);
    }
  }
  // Kubernetes defaults a missing request to the limit.
  if (!declared.memory_request_bytes) declared.memory_request_bytes = declared.memory_limit_bytes;
  if (!declared.cpu_request_millicores)
    declared.cpu_request_millicores = declared.cpu_limit_millicores;
  return OkStatus();
}

Result<ManifestWorkload> FromDocument(const YAML::Node& doc, int document, const std::string& path,
                                      const std::string& kind, const ManifestSelection& selection) {
  ManifestWorkload w;
  w.path = path;
  w.document = document;
  w.kind = kind;
  const YAML::Node metadata = doc["metadata"];
  if (metadata && metadata.IsMap()) {
    w.name = ScalarOr(metadata["name"]);
    w.namespace_name = ScalarOr(metadata["namespace"]);
    if (const YAML::Node gen = metadata["generation"]; gen && gen.IsScalar()) {
      w.generation = gen.as<int64_t>(0);
    }
    if (const YAML::Node annotations = metadata["annotations"];
        annotations && annotations.IsMap()) {
      for (const auto& entry : annotations) {
        const std::string key = ScalarOr(entry.first);
        if (key.rfind(kAnnotationPrefix, 0) != 0) continue;
        const std::string rule = key.substr(kAnnotationPrefix.size());
        // Rule overrides carry a dot; other groundtruth.dev keys (enabled, the verdict
        // mirror) are not thresholds.
        if (rule.find('.') == std::string::npos) continue;
        w.overrides[rule] = ScalarOr(entry.second);
      }
    }
  }
  const std::string where = Where(document, kind, w.name);
  const std::string pod_spec_field = kind == "Pod" ? "spec" : "spec.template.spec";
  YAML::Node pod_spec = kind == "Pod" ? doc["spec"] : doc["spec"]["template"]["spec"];
  if (!pod_spec || !pod_spec.IsMap()) {
    return MakeError(ErrorCode::kInvalid, where + ": " + pod_spec_field + ": missing", path,
                     LineOf(doc));
  }
  const YAML::Node containers = pod_spec["containers"];
  const std::string containers_field = pod_spec_field + ".containers";
  if (!containers || !containers.IsSequence() || containers.size() == 0) {
    return MakeError(ErrorCode::kInvalid, where + ": " + containers_field + ": no containers", path,
                     LineOf(pod_spec));
  }
  // What can be judged: the containers, then the native sidecars (init containers with
  // restartPolicy: Always keep running beside them), as the controller does.
  std::vector<JudgedContainer> judged;
  for (size_t i = 0; i < containers.size(); ++i) {
    judged.push_back({containers[i], containers_field + "[" + std::to_string(i) + "]"});
  }
  std::vector<std::string> run_to_completion;  // classic init containers: not judged
  const YAML::Node init = pod_spec["initContainers"];
  if (init && init.IsSequence()) {
    for (size_t i = 0; i < init.size(); ++i) {
      if (ScalarOr(init[i]["restartPolicy"]) == "Always") {
        judged.push_back({init[i], pod_spec_field + ".initContainers[" + std::to_string(i) + "]"});
      } else {
        run_to_completion.push_back(ScalarOr(init[i]["name"]));
      }
    }
  }
  for (const JudgedContainer& c : judged) w.containers.push_back(ScalarOr(c.node["name"]));

  size_t chosen = 0;
  if (!selection.container.empty()) {
    chosen = w.containers.size();
    for (size_t i = 0; i < w.containers.size(); ++i) {
      if (w.containers[i] == selection.container) chosen = i;
    }
    if (chosen == w.containers.size()) {
      const bool is_init = std::find(run_to_completion.begin(), run_to_completion.end(),
                                     selection.container) != run_to_completion.end();
      return MakeError(ErrorCode::kNotFound,
                       where + ": no container \"" + selection.container + "\"" +
                           (is_init ? " to judge: it is an init container that runs to "
                                      "completion before the others start (only containers "
                                      "and native sidecars, restartPolicy: Always, are judged)"
                                    : "") +
                           "; containers: " + JoinQuoted(w.containers),
                       path, LineOf(containers));
    }
  } else if (w.containers.size() > 1) {
    w.notes.push_back(std::to_string(w.containers.size()) + " containers (" +
                      JoinQuoted(w.containers) + "); judging the first, " + w.containers[0] +
                      " (choose with --container)");
  }
  w.container = w.containers[chosen];
  const std::string& field = judged[chosen].field;
  Status resources = ReadResources(judged[chosen].node, field, path, where, w.declared);
  if (!resources) return resources.error();
  if (!w.declared.memory_limit_bytes) {
    w.notes.push_back("container " + w.container +
                      " declares no memory limit: memory is judged against what applies "
                      "(PSI, OOM kills, the node), not against a limit");
  }
  if (!w.declared.cpu_limit_millicores) {
    w.notes.push_back("container " + w.container + " declares no CPU limit: nothing to throttle");
  }
  return w;
}

}  // namespace

Result<ManifestWorkload> ParseManifest(std::string_view yaml, const std::string& path,
                                       const ManifestSelection& selection) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kMalformed, "malformed YAML: " + e.msg, path,
                     e.mark.line >= 0 ? e.mark.line + 1 : 0);
  }
  std::vector<std::string> seen;  // "Deployment/web (document 2)", for the not-found message
  try {
    for (size_t i = 0; i < docs.size(); ++i) {
      const YAML::Node& doc = docs[i];
      const int index = static_cast<int>(i) + 1;
      if (!doc || doc.IsNull()) continue;
      if (!doc.IsMap()) {
        return MakeError(
            ErrorCode::kMalformed,
            "document " + std::to_string(index) + ": expected a Kubernetes object (a map)", path,
            LineOf(doc));
      }
      // A v1 List (what `kubectl get -o yaml` writes) holds its objects in items.
      const bool list = ScalarOr(doc["kind"]) == "List";
      const YAML::Node items = doc["items"];
      if (list && items && !items.IsNull() && !items.IsSequence()) {
        return MakeError(ErrorCode::kInvalid,
                         "document " + std::to_string(index) + " (List): items: expected a list",
                         path, LineOf(items));
      }
      std::vector<YAML::Node> objects;
      if (!list) objects.push_back(doc);
      if (list && items && items.IsSequence()) {
        for (const YAML::Node& item : items) objects.push_back(item);
      }
      for (size_t item = 0; item < objects.size(); ++item) {
        const YAML::Node& object = objects[item];
        if (!object.IsMap()) continue;
        const std::string kind = ScalarOr(object["kind"]);
        if (!IsWorkloadKind(kind)) continue;
        const YAML::Node metadata = object["metadata"];
        const std::string name = metadata && metadata.IsMap() ? ScalarOr(metadata["name"]) : "";
        seen.push_back(kind + "/" + name + " (document " + std::to_string(index) +
                       (list ? ", item " + std::to_string(item + 1) : "") + ")");
        if (!selection.workload_name.empty() && name != selection.workload_name) continue;
        return FromDocument(object, index, path, kind, selection);
      }
    }
  } catch (const YAML::Exception& e) {
    // Shape surprises (a scalar where a map was expected) surface as exceptions in yaml-cpp.
    return MakeError(ErrorCode::kInvalid, "unexpected manifest structure: " + e.msg, path,
                     e.mark.line >= 0 ? e.mark.line + 1 : 0);
  }
  if (!selection.workload_name.empty()) {
    return MakeError(
        ErrorCode::kNotFound,
        "no workload named \"" + selection.workload_name + "\"; workloads: " + JoinQuoted(seen),
        path);
  }
  return MakeError(ErrorCode::kNotFound,
                   "no workload (Deployment, StatefulSet, DaemonSet or Pod) in " +
                       std::to_string(docs.size()) + " YAML document(s)",
                   path);
}

Result<ManifestWorkload> ReadManifest(const std::string& path, const ManifestSelection& selection) {
  if (path == kStdinPath) {
    std::ostringstream text;
    text << std::cin.rdbuf();
    if (std::cin.bad()) return MakeError(ErrorCode::kIo, "cannot read manifest", "stdin");
    return ParseManifest(text.str(), "stdin", selection);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return MakeError(ErrorCode::kInvalid, "is a directory, not a manifest file", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot open manifest", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kIo, "cannot read manifest", path);
  return ParseManifest(text.str(), path, selection);
}

}  // namespace gt::cli
