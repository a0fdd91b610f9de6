// Retry pacing shaped like client-go's wait.Backoff, plus Retry-After parsing.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string_view>

#include "common/clock.h"

namespace gt::kube {

using Duration = std::chrono::nanoseconds;

// A uniform random number in [0, 1): injected so tests can pin the jitter.
using Uniform = std::function<double()>;
Uniform DefaultUniform();

// wait.Backoff: each Step() returns the current duration (plus up to jitter*duration) and
// multiplies the next by factor, up to cap; once cap is hit, steps stop growing.
struct Backoff {
  Duration duration{std::chrono::milliseconds(800)};
  double factor = 2.0;
  double jitter = 1.0;
  int steps = 1 << 30;
  Duration cap{std::chrono::seconds(30)};

  Duration Step(const Uniform& rand);
};

// client-go's jitter: d + rand * max_factor * d (max_factor <= 0 means 1).
Duration Jitter(Duration d, double max_factor, const Uniform& rand);

// The reflector's manager: 800 ms doubling to 30 s, fully jittered, and back to the start
// after two minutes without a failure.
class BackoffManager {
 public:
  explicit BackoffManager(Uniform rand = DefaultUniform()) : rand_(std::move(rand)) {}
  // `now` is monotonic time; returns how long to wait before the next attempt.
  Duration Next(Duration now);

 private:
  Uniform rand_;
  Backoff current_{};
  std::optional<Duration> last_failure_;
};

// Waits `d` on `clock` in slices of at most 50 ms, so that a stop request ends the wait
// promptly (a real clock) and a fake clock advances by exactly `d`. False when stopped.
bool SleepUnlessStopped(Clock& clock, Duration d, std::stop_token stop);

// Retry-After as the API server sends it: whole seconds. HTTP dates are not used by it.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

}  // namespace gt::kube
