// What the liveness probe reports: whether each of the controller's loops (every informer,
// the reconcile loop, the scrape loop) has moved within a deadline. Every wait in those
// loops is bounded (request deadlines, the watch's timeout plus grace, backoff caps), so a
// loop that has not moved for longer is stuck, and only a restart frees it.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace gt::controller {

class Liveness {
 public:
  // Longer than any wait a healthy loop makes: a silent watch lasts up to 2 x 300 s plus
  // 30 s grace, and a list under 429s up to 10 x (60 s Retry-After + 30 s deadline).
  static constexpr std::chrono::minutes kDefaultDeadline{20};

  Liveness(Clock& clock, std::chrono::nanoseconds deadline) : clock_(clock), deadline_(deadline) {}

  // `loop` moved now. The first beat registers it; only registered loops are checked.
  void Beat(const std::string& loop);
  // Empty while every loop moved within the deadline; otherwise which did not, and for how
  // long ("informer /api/v1/pods: no progress for 95s").
  std::string Stalled() const;

 private:
  Clock& clock_;
  std::chrono::nanoseconds deadline_;
  mutable std::mutex mu_;
  std::map<std::string, MonotonicTime> last_;
};

// Whether a message should be logged now: the first time, when it changes, and then at
// most once per `period` while it repeats, so that a failure retried every few seconds (an
// exec plugin's stderr, an unreachable server) is not logged at every retry.
class RepeatFilter {
 public:
  RepeatFilter(Clock& clock, std::chrono::nanoseconds period) : clock_(clock), period_(period) {}
  // nullopt: hold it back. Otherwise log it, noting how many identical ones were held back.
  std::optional<uint64_t> Admit(const std::string& message);

 private:
  Clock& clock_;
  std::chrono::nanoseconds period_;
  std::mutex mu_;
  std::string last_;
  std::optional<MonotonicTime> logged_at_;
  uint64_t held_back_ = 0;
};

}  // namespace gt::controller
