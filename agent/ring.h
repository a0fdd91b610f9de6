// The agent's memory of recent samples: a ring bounded both by count (the retention
// window) and by bytes (so a node with many containers cannot grow it past its budget;
// retention then shrinks instead). Samples are stored encoded and compressed, once,
// when taken; scrapers share them without re-encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/reading.h"
#include "common/result.h"

namespace gt::agent {

// One sample's JSON (wire::EncodeSample), deflate-compressed.
class StoredSample {
 public:
  static Result<std::shared_ptr<const StoredSample>> Compress(uint64_t seq, MonotonicTime taken,
                                                              std::string_view json);
  uint64_t seq() const { return seq_; }
  MonotonicTime taken() const { return taken_; }
  size_t json_bytes() const { return json_bytes_; }
  // What the ring charges for this sample: compressed text plus bookkeeping.
  size_t stored_bytes() const { return compressed_.size() + sizeof(*this) + 64; }
  Result<std::string> Json() const;
  // Inflates this sample's JSON onto the end of `out` (reserve first to avoid a reallocation);
  // on failure `out` is as it was.
  Status AppendJson(std::string& out) const;

 private:
  uint64_t seq_ = 0;
  MonotonicTime taken_{0};
  size_t json_bytes_ = 0;
  std::string compressed_;
};

struct RingLimits {
  size_t max_samples = 180;            // 15 min at 5 s
  size_t max_bytes = 4 * 1024 * 1024;  // compressed
};

// What a scraper asked for: samples with seq > since, oldest first.
struct RingSlice {
  std::vector<std::shared_ptr<const StoredSample>> samples;
  uint64_t cursor = 0;     // seq of the newest sample in `samples`, or `since` when none
  bool truncated = false;  // samples after `since` were evicted (or `since` is from another run)
  bool more = false;       // cut at max_json_bytes; ask again from `cursor`
  uint64_t newest = 0;     // the ring's newest seq when sliced: with `since`, names the reply
};

class Ring {
 public:
  explicit Ring(RingLimits limits) : limits_(limits) {}

  // Seqs must increase; an out-of-order sample is refused. Evicts the oldest samples
  // until both bounds hold again (the newest sample is always kept).
  Status Append(std::shared_ptr<const StoredSample> sample);

  // Never blocks the sampler for longer than copying pointers. `max_json_bytes` bounds the
  // uncompressed size of a reply; at least one sample is returned when there is one.
  RingSlice Since(uint64_t since, size_t max_json_bytes) const;

  size_t size() const;
  size_t stored_bytes() const;
  uint64_t newest_seq() const;  // 0 when empty
  uint64_t evicted() const;

 private:
  RingLimits limits_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const StoredSample>> samples_;
  size_t stored_bytes_ = 0;
  uint64_t evicted_ = 0;
};

}  // namespace gt::agent
