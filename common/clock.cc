#include "common/clock.h"

#include <ctime>
#include <thread>

namespace gt {

MonotonicTime SystemClock::Monotonic() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::chrono::system_clock::time_point SystemClock::Wall() const {
  return std::chrono::system_clock::now();
}

void SystemClock::SleepFor(std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }

}  // namespace gt
