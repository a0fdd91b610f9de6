// Base64 as kubeconfig *-data fields carry it; never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gt::kube {

// Standard alphabet; padding optional; whitespace (line breaks in YAML) ignored.
std::optional<std::string> Base64Decode(std::string_view in);
std::string Base64Encode(std::string_view in);

}  // namespace gt::kube
