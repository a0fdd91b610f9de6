// Replies to GET /v1/samples, built once and shared. A reply is named by the ring's newest
// sample, the client's `since` and whether it is gzipped: every client asking the same
// question of the same ring gets the same immutable buffer, so 64 clients fetching since=0
// hold one body, not 64. Every body alive (kept for reuse, being written, or being built) is
// charged to a byte budget; a reply that would exceed it is not built and the client is told
// to come back later (429), so the agent's memory does not follow what clients do.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/ring.h"
#include "common/result.h"
#include "wire/samples.h"

namespace gt::agent {

using SharedText = std::shared_ptr<const std::string>;

// Bytes of reply bodies alive in the process, bounded.
class ReplyBudget {
 public:
  explicit ReplyBudget(size_t max_bytes) : max_(max_bytes) {}
  bool TryReserve(size_t bytes);
  void Release(size_t bytes) { used_.fetch_sub(bytes); }
  size_t used() const { return used_.load(); }
  size_t max() const { return max_; }

 private:
  const size_t max_;
  std::atomic<size_t> used_{0};
};

class SampleReplies {
 public:
  SampleReplies(const Ring& ring, ReplyBudget& budget, size_t max_json_bytes,
                wire::NodeIdentity node, uint32_t interval_seconds)
      : ring_(ring),
        budget_(budget),
        max_json_bytes_(max_json_bytes),
        node_(std::move(node)),
        interval_seconds_(interval_seconds) {}

  // The body for `since`, gzip-compressed when `gzip`. kUnavailable when the budget is spent
  // (answer 429); kIo when a stored sample cannot be inflated.
  Result<SharedText> Get(uint64_t since, bool gzip);

  uint64_t built() const { return built_.load(); }    // bodies encoded
  uint64_t shared() const { return shared_.load(); }  // replies served from a body already built

 private:
  struct Entry {
    uint64_t newest = 0;
    uint64_t since = 0;
    bool gzip = false;
    SharedText kept;  // null once dropped to make room; the body lives while clients hold it
    std::weak_ptr<const std::string> body;
  };
  SharedText Find(uint64_t newest, uint64_t since, bool gzip);
  SharedText Remember(uint64_t newest, uint64_t since, bool gzip, SharedText body);
  void DropKept();
  bool Reserve(size_t bytes);
  Result<SharedText> Build(const RingSlice& slice, bool gzip);
  Result<std::string> Identity(const RingSlice& slice, std::string_view head, size_t& charged);
  Result<std::string> Gzipped(const RingSlice& slice, std::string_view head, size_t& charged);

  const Ring& ring_;
  ReplyBudget& budget_;
  const size_t max_json_bytes_;
  const wire::NodeIdentity node_;
  const uint32_t interval_seconds_;
  std::mutex mu_;
  std::vector<Entry> entries_;  // for the newest sample only
  std::atomic<uint64_t> built_{0};
  std::atomic<uint64_t> shared_{0};
};

}  // namespace gt::agent
