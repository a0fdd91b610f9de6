#include "gate/manifests.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "gate/kustomize.h"

namespace gt::gate {
namespace {

namespace fs = std::filesystem;

std::string Scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.as<std::string>() : std::string();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot read manifest", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Document {
  std::string text;
  int first_line = 0;  // 0-based line of the file where the document starts
};

// Splits a multi-document file as kubectl does (apimachinery's util/yaml YAMLReader): at
// lines that start with "---" followed by nothing but spaces or a comment. yaml-cpp's own
// LoadAll is not used: in 0.7 it loops forever, allocating, on some malformed documents
// (a lone "," is enough; jbeder/yaml-cpp#1319), which a manifest in a pull request must not
// be able to do to a CI job.
Result<std::vector<Document>> SplitDocuments(const std::string& text, const fs::path& path) {
  std::vector<Document> docs(1);
  size_t start = 0;
  for (int line = 0; start < text.size(); line++) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view content(text.data() + start, end - start);
    if (content.starts_with("---")) {
      const size_t rest = content.find_first_not_of(" \t\r", 3);
      if (rest != std::string_view::npos && content[rest] != '#') {
        return MakeError(ErrorCode::kMalformed,
                         "only spaces or a comment may follow the document separator \"---\"",
                         path.string(), line + 1);
      }
      docs.push_back(Document{{}, line + 1});
    } else {
      docs.back().text.append(content);
      docs.back().text.push_back('\n');
    }
    start = end + 1;
  }
  return docs;
}

// Objects of one YAML/JSON text, with List kinds flattened; `path` names it in errors.
Status CollectText(const std::string& text, const fs::path& path, std::vector<WorkloadKey>& out) {
  auto split = SplitDocuments(text, path);
  if (!split) return split.error();
  std::vector<YAML::Node> docs;
  for (const Document& doc : *split) {
    try {
      docs.push_back(YAML::Load(doc.text));
    } catch (const YAML::Exception& e) {
      return MakeError(ErrorCode::kMalformed, e.msg, path.string(),
                       doc.first_line + e.mark.line + 1);
    }
  }
  std::vector<YAML::Node> objects;
  for (const YAML::Node& doc : docs) {
    if (!doc || doc.IsNull()) continue;
    if (!doc.IsMap())
      return MakeError(ErrorCode::kMalformed, "document is not a mapping", path.string());
    if (Scalar(doc["kind"]) == "List" || Scalar(doc["kind"]).ends_with("List")) {
      const YAML::Node items = doc["items"];
      if (items && items.IsSequence())
        for (const YAML::Node& item : items) objects.push_back(item);
      continue;
    }
    objects.push_back(doc);
  }
  for (const YAML::Node& obj : objects) {
    if (!obj.IsMap()) continue;
    const std::string kind = Scalar(obj["kind"]);
    const auto workload_kind = contract::ParseWorkloadKind(kind);
    if (!workload_kind || Scalar(obj["apiVersion"]) != contract::kWorkloadApiVersion) continue;
    const YAML::Node meta = obj["metadata"];
    const std::string name = meta && meta.IsMap() ? Scalar(meta["name"]) : std::string();
    if (name.empty())
      return MakeError(ErrorCode::kMalformed, fmt::format("{} without metadata.name", kind),
                       path.string());
    out.push_back({*workload_kind, meta ? Scalar(meta["namespace"]) : std::string(), name});
  }
  return OkStatus();
}

Status CollectFile(const fs::path& path, std::vector<WorkloadKey>& out) {
  auto text = ReadFile(path);
  if (!text) return text.error();
  return CollectText(*text, path, out);
}

std::optional<fs::path> KustomizationFile(const fs::path& dir) {
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / name, ec)) return dir / name;
  }
  return std::nullopt;
}

bool IsManifestFile(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

Status CollectPath(const fs::path& path, std::vector<WorkloadKey>& out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && IsManifestFile(it->path())) files.push_back(it->path());
    }
    if (ec) return MakeError(ErrorCode::kIo, ec.message(), path.string());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      Status s = CollectFile(f, out);
      if (!s) return s;
    }
    return OkStatus();
  }
  if (!fs::exists(path, ec))
    return MakeError(ErrorCode::kNotFound, "no such file or directory", path.string());
  return CollectFile(path, out);
}

Result<std::vector<WorkloadKey>> Finish(std::vector<WorkloadKey> keys,
                                        const std::string& default_namespace,
                                        const std::string& origin) {
  for (WorkloadKey& k : keys)
    if (k.ns.empty()) k.ns = default_namespace;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.empty())
    return MakeError(ErrorCode::kInvalid, "no apps/v1 Deployment, StatefulSet or DaemonSet found",
                     origin);
  return keys;
}

}  // namespace

Result<std::vector<WorkloadKey>> WorkloadsFromManifestText(const std::string& text,
                                                           const std::string& origin,
                                                           const std::string& default_namespace) {
  std::vector<WorkloadKey> keys;
  try {
    Status s = CollectText(text, origin, keys);
    if (!s) return s.error();
  } catch (const std::exception& e) {  // yaml-cpp conversions
    return MakeError(ErrorCode::kMalformed, e.what(), origin);
  }
  return Finish(std::move(keys), default_namespace, origin);
}

Result<std::vector<WorkloadKey>> WorkloadsFromManifests(const std::string& path,
                                                        const std::string& default_namespace,
                                                        const std::string& search_path) {
  if (path == kStdinPath) {
    std::ostringstream text;
    text << std::cin.rdbuf();
    if (std::cin.bad()) return MakeError(ErrorCode::kIo, "cannot read manifests", "stdin");
    return WorkloadsFromManifestText(text.str(), "stdin", default_namespace);
  }
  std::error_code ec;
  if (fs::is_directory(path, ec) && KustomizationFile(path))
    return WorkloadsFromKustomization(path, default_namespace, search_path);
  std::vector<WorkloadKey> keys;
  try {
    Status s = CollectPath(path, keys);
    if (!s) return s.error();
  } catch (const std::exception& e) {  // yaml-cpp conversions, filesystem
    return MakeError(ErrorCode::kMalformed, e.what(), path);
  }
  return Finish(std::move(keys), default_namespace, path);
}

Result<std::vector<WorkloadKey>> WorkloadsFromKustomization(const std::string& dir,
                                                            const std::string& default_namespace,
                                                            const std::string& search_path) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || !KustomizationFile(dir))
    return MakeError(ErrorCode::kNotFound,
                     "not a kustomization: no kustomization.yaml, kustomization.yml or "
                     "Kustomization in it",
                     dir);
  auto rendered = RenderKustomization(dir, search_path);
  if (!rendered) return rendered.error();
  return WorkloadsFromManifestText(*rendered, dir + " (rendered by kustomize)", default_namespace);
}

}  // namespace gt::gate
