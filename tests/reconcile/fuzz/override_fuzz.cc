// ApplyOverride parses annotation keys and values that any workload author controls.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reconcile/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eq = input.find('=');
  const std::string_view key = input.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? "" : input.substr(eq + 1);
  gt::reconcile::Policy policy = gt::reconcile::DefaultPolicy();
  const gt::reconcile::Policy before = policy;
  gt::Status s = gt::reconcile::ApplyOverride(policy, key, value);
  if (!s) {
    // A rejected override leaves the policy as it was.
    if (policy.cpu_throttled.ratio != before.cpu_throttled.ratio ||
        policy.memory_thrashing.window != before.memory_thrashing.window) {
      __builtin_trap();
    }
  }
  (void)gt::reconcile::WithWindow(policy, std::chrono::seconds(data[0] % 64));
  return 0;
}
