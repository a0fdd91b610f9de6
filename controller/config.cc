#include "controller/config.h"

#include <yaml-cpp/yaml.h>

#include "common/duration.h"
#include "common/file.h"

namespace gt::controller {

Result<reconcile::Policy> PolicyFromYaml(std::string_view yaml, const std::string& origin) {
  reconcile::Policy policy = reconcile::DefaultPolicy();
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) return policy;
    if (!root.IsMap())
      return MakeError(ErrorCode::kInvalid, "expected a mapping at the top", origin);
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      if (key == "window") {
        auto window = ParseDuration(entry.second.as<std::string>());
        if (!window || *window < std::chrono::seconds(1)) {
          return MakeError(ErrorCode::kInvalid, "window: expected a duration of 1s or more", origin,
                           entry.second.Mark().line + 1);
        }
        policy = reconcile::WithWindow(policy,
                                       std::chrono::duration_cast<std::chrono::seconds>(*window));
      } else if (key == "rules") {
        if (!entry.second.IsMap()) {
          return MakeError(ErrorCode::kInvalid, "rules: expected a mapping", origin,
                           entry.second.Mark().line + 1);
        }
        for (const auto& rule : entry.second) {
          if (!rule.second.IsMap()) {
            return MakeError(ErrorCode::kInvalid,
                             "rules." + rule.first.as<std::string>() + ": expected a mapping",
                             origin, rule.second.Mark().line + 1);
          }
          for (const auto& parameter : rule.second) {
            std::string name =
                rule.first.as<std::string>() + "." + parameter.first.as<std::string>();
            Status applied =
                reconcile::ApplyOverride(policy, name, parameter.second.as<std::string>());
            if (!applied) {
              return MakeError(ErrorCode::kInvalid,
                               "rules." + name + ": " + applied.error().message, origin,
                               parameter.second.Mark().line + 1);
            }
          }
        }
      } else {
        return MakeError(ErrorCode::kInvalid, "unknown key \"" + key + "\"", origin,
                         entry.first.Mark().line + 1);
      }
    }
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kMalformed, e.what(), origin, e.mark.line + 1);
  }
  return policy;
}

Result<reconcile::Policy> LoadPolicyFile(const std::string& path) {
  auto text = ReadRegularFile(path, 4u << 20);  // bounded, regular files only
  if (!text) return text.error();
  return PolicyFromYaml(*text, path);
}

}  // namespace gt::controller
