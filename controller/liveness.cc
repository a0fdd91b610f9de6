#include "controller/liveness.h"

namespace gt::controller {

void Liveness::Beat(const std::string& loop) {
  const MonotonicTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  last_[loop] = now;
}

std::string Liveness::Stalled() const {
  const MonotonicTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [loop, at] : last_) {
    if (now - at <= deadline_) continue;
    if (!out.empty()) out += "; ";
    out += loop + ": no progress for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - at).count()) + "s";
  }
  return out;
}

std::optional<uint64_t> RepeatFilter::Admit(const std::string& message) {
  const MonotonicTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  if (message != last_ || !logged_at_ || now - *logged_at_ >= period_) {
    const uint64_t held = message == last_ ? held_back_ : 0;
    last_ = message;
    logged_at_ = now;
    held_back_ = 0;
    return held;
  }
  ++held_back_;
  return std::nullopt;
}

}  // namespace gt::controller
