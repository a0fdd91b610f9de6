#include "agent/replies.h"

#include <zlib.h>

#include <algorithm>

namespace gt::agent {
namespace {

// Bodies kept for reuse after their last client is done: the replies to the controller's
// usual questions (since=its cursor, since=0 after a restart), gzipped and not.
constexpr size_t kKeptBodies = 4;
constexpr size_t kGzipChunk = 64 * 1024;

Error Busy(size_t bytes, const ReplyBudget& budget) {
  return MakeError(ErrorCode::kUnavailable,
                   "reply of ~" + std::to_string(bytes / 1024) + " KiB would exceed the " +
                       std::to_string(budget.max() / 1024) + " KiB held for replies (" +
                       std::to_string(budget.used() / 1024) + " KiB in use)");
}

}  // namespace

bool ReplyBudget::TryReserve(size_t bytes) {
  size_t used = used_.load();
  do {
    if (used + bytes > max_) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes));
  return true;
}

Result<SharedText> SampleReplies::Get(uint64_t since, bool gzip) {
  // Only pointers are copied under the ring's lock.
  RingSlice slice = ring_.Since(since, max_json_bytes_);
  if (SharedText body = Find(slice.newest, since, gzip)) {
    shared_.fetch_add(1);
    return body;
  }
  Result<SharedText> body = Build(slice, gzip);
  if (!body) return body;
  built_.fetch_add(1);
  return Remember(slice.newest, since, gzip, std::move(*body));
}

SharedText SampleReplies::Find(uint64_t newest, uint64_t since, bool gzip) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Entry& e : entries_) {
    if (e.newest == newest && e.since == since && e.gzip == gzip) {
      if (SharedText body = e.body.lock()) return body;
    }
  }
  return nullptr;
}

// Two threads may build the same body at once; the first one remembered is the one shared.
SharedText SampleReplies::Remember(uint64_t newest, uint64_t since, bool gzip, SharedText body) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.newest < newest || e.body.expired(); });
  if (!entries_.empty() && entries_.front().newest > newest) return body;  // already stale
  for (const Entry& e : entries_) {
    if (e.since == since && e.gzip == gzip) {
      if (SharedText first = e.body.lock()) return first;
    }
  }
  size_t kept = std::count_if(entries_.begin(), entries_.end(),
                              [](const Entry& e) { return e.kept != nullptr; });
  for (Entry& e : entries_) {
    if (kept < kKeptBodies) break;
    if (e.kept) {
      e.kept.reset();
      --kept;
    }
  }
  entries_.push_back(Entry{newest, since, gzip, body, body});
  return body;
}

void SampleReplies::DropKept() {
  std::vector<SharedText> dropped;  // released after the lock: a body's deleter takes none
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& e : entries_) dropped.push_back(std::move(e.kept));
}

// A body no longer wanted by anyone may still be kept for reuse: give those up before refusing.
bool SampleReplies::Reserve(size_t bytes) {
  if (budget_.TryReserve(bytes)) return true;
  DropKept();
  return budget_.TryReserve(bytes);
}

Result<SharedText> SampleReplies::Build(const RingSlice& slice, bool gzip) {
  std::string envelope =
      wire::EncodeResponse(node_, slice.cursor, interval_seconds_, slice.truncated, slice.more, {});
  // The envelope ends "...,\"samples\":[]}": the samples go between the brackets.
  if (envelope.size() < 3 || envelope.compare(envelope.size() - 3, 3, "[]}") != 0) {
    return MakeError(ErrorCode::kIo, "unexpected reply envelope from the wire encoder");
  }
  std::string_view head(envelope.data(), envelope.size() - 2);
  size_t charged = 0;
  Result<std::string> text = gzip ? Gzipped(slice, head, charged) : Identity(slice, head, charged);
  if (!text) {
    budget_.Release(charged);
    return text.error();
  }
  ReplyBudget* budget = &budget_;
  return SharedText(new std::string(std::move(*text)), [budget, charged](const std::string* s) {
    delete s;
    budget->Release(charged);
  });
}

// The JSON text, written once into a buffer of its exact size.
Result<std::string> SampleReplies::Identity(const RingSlice& slice, std::string_view head,
                                            size_t& charged) {
  size_t size = head.size() + 2;  // "]}"
  for (const auto& sample : slice.samples) size += sample->json_bytes();
  if (!slice.samples.empty()) size += slice.samples.size() - 1;  // the commas
  if (!Reserve(size)) return Busy(size, budget_);
  charged = size;
  std::string out;
  out.reserve(size);
  out.append(head);
  for (size_t i = 0; i < slice.samples.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (Status inflated = slice.samples[i]->AppendJson(out); !inflated) {
      return MakeError(ErrorCode::kIo, "stored sample " + std::to_string(slice.samples[i]->seq()) +
                                           " unreadable: " + inflated.error().message);
    }
  }
  out.append("]}");
  return out;
}

// gzip (RFC 1952) at level 1, one sample inflated at a time: what is held is one sample's JSON
// and the compressed output (a 110-pod sample is ~0.4 MiB of JSON and shrinks ~30x).
Result<std::string> SampleReplies::Gzipped(const RingSlice& slice, std::string_view head,
                                           size_t& charged) {
  size_t largest = 0;
  for (const auto& sample : slice.samples) largest = std::max(largest, sample->json_bytes());
  if (!Reserve(largest + kGzipChunk)) return Busy(largest + kGzipChunk, budget_);
  charged = largest + kGzipChunk;
  std::string scratch;
  scratch.reserve(largest + 1);
  std::string out(kGzipChunk, '\0');
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return MakeError(ErrorCode::kIo, "deflateInit2 failed");
  }
  auto feed = [&](std::string_view in, int flush) -> Status {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    while (true) {
      if (z.total_out == out.size()) {
        size_t grow = out.size();
        if (!Reserve(grow)) return Busy(charged + grow, budget_);
        charged += grow;
        out.resize(out.size() + grow);
      }
      z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
      z.avail_out = static_cast<uInt>(out.size() - z.total_out);
      int rc = deflate(&z, flush);
      if (rc == Z_STREAM_END) return OkStatus();
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return MakeError(ErrorCode::kIo, "deflate failed (zlib error " + std::to_string(rc) + ")");
      }
      if (z.avail_in == 0 && z.avail_out != 0 && flush == Z_NO_FLUSH) return OkStatus();
    }
  };
  Status fed = feed(head, Z_NO_FLUSH);
  for (size_t i = 0; fed && i < slice.samples.size(); ++i) {
    scratch.assign(i > 0 ? "," : "");
    if (Status inflated = slice.samples[i]->AppendJson(scratch); !inflated) {
      fed = MakeError(ErrorCode::kIo, "stored sample " + std::to_string(slice.samples[i]->seq()) +
                                          " unreadable: " + inflated.error().message);
      break;
    }
    fed = feed(scratch, Z_NO_FLUSH);
  }
  if (fed) fed = feed("]}", Z_FINISH);
  size_t produced = z.total_out;
  deflateEnd(&z);
  if (!fed) return fed.error();
  // Keep only what the reply is: the scratch and the unused output go back now.
  out.resize(produced);
  out.shrink_to_fit();
  std::string().swap(scratch);
  size_t kept = std::min(out.capacity(), charged);
  budget_.Release(charged - kept);
  charged = kept;
  return out;
}

}  // namespace gt::agent
