#include "kube/backoff.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <random>

namespace gt::kube {

Uniform DefaultUniform() {
  return [] {
    static std::mutex mu;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard lock(mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  };
}

Duration Jitter(Duration d, double max_factor, const Uniform& rand) {
  if (max_factor <= 0) max_factor = 1.0;
  return d +
         Duration(static_cast<Duration::rep>(rand() * max_factor * static_cast<double>(d.count())));
}

Duration Backoff::Step(const Uniform& rand) {
  if (steps < 1) return jitter > 0 ? Jitter(duration, jitter, rand) : duration;
  --steps;
  Duration d = duration;
  if (factor != 0) {
    duration = Duration(static_cast<Duration::rep>(static_cast<double>(duration.count()) * factor));
    if (cap.count() > 0 && duration > cap) {
      duration = cap;
      steps = 0;
    }
  }
  return jitter > 0 ? Jitter(d, jitter, rand) : d;
}

Duration BackoffManager::Next(Duration now) {
  constexpr Duration kResetAfter = std::chrono::minutes(2);
  if (last_failure_ && now - *last_failure_ > kResetAfter) current_ = Backoff{};
  last_failure_ = now;
  return current_.Step(rand_);
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  // delay-seconds = 1*DIGIT (RFC 9110 section 10.2.3): from_chars alone would take "-0".
  if (value.empty() || value.front() < '0' || value.front() > '9') return std::nullopt;
  long long secs = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
  return std::chrono::seconds(secs);
}

bool SleepUnlessStopped(Clock& clock, Duration d, std::stop_token stop) {
  constexpr Duration kSlice = std::chrono::milliseconds(50);
  while (d > Duration::zero()) {
    if (stop.stop_requested()) return false;
    const Duration step = std::min(d, kSlice);
    clock.SleepFor(step);
    d -= step;
  }
  return !stop.stop_requested();
}

}  // namespace gt::kube
