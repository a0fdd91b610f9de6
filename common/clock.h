// Time as an injected dependency: pure logic takes `now` as a parameter; loops take a Clock&.
#pragma once

#include <chrono>

#include "common/reading.h"

namespace gt {

class Clock {
 public:
  virtual ~Clock() = default;
  // CLOCK_MONOTONIC: for rates, windows and timeouts.
  virtual MonotonicTime Monotonic() const = 0;
  // Wall time: only for timestamps written where people read them (Kubernetes, logs).
  virtual std::chrono::system_clock::time_point Wall() const = 0;
  // Blocks for `d` (a fake clock advances instead).
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  MonotonicTime Monotonic() const override;
  std::chrono::system_clock::time_point Wall() const override;
  void SleepFor(std::chrono::nanoseconds d) override;
};

// A clock tests drive by hand.
class FakeClock final : public Clock {
 public:
  MonotonicTime Monotonic() const override { return mono_; }
  std::chrono::system_clock::time_point Wall() const override { return wall_; }
  void SleepFor(std::chrono::nanoseconds d) override { Advance(d); }
  void Advance(std::chrono::nanoseconds d) {
    mono_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  MonotonicTime mono_{std::chrono::seconds(1000)};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'800'000'000)};
};

}  // namespace gt
