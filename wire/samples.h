// The agent wire format, version 1: what `GET /v1/samples?since=<cursor>` returns.
//
//   {"apiVersion":"groundtruth.dev/v1",
//    "node":{"name":"node-3","bootId":"..."},
//    "cursor":42, "intervalSeconds":5, "truncated":false, "more":false,
//    "samples":[{"seq":42,"monotonicNs":...,"node":{...},"pods":[
//        {"uid":"...","qos":"burstable","reading":{...},
//         "containers":[{"id":"<runtime id>","runtime":"containerd","reading":{...}}]}]}]}
//
// Compatibility: fields are added, never renamed. A decoder ignores fields it does not
// know and treats a missing counter or gauge as 0 (an older agent did not send it); an
// optional value (a limit, PSI, net) that is absent means "none" (unlimited, no PSI) —
// never a sentinel number. A present field of the wrong type is an error naming its path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reading.h"
#include "common/result.h"

namespace gt::wire {

inline constexpr std::string_view kApiVersion = "groundtruth.dev/v1";
inline constexpr std::string_view kSamplesPath = "/v1/samples";

// Who produced the samples. A new boot id means monotonic time and every counter restarted.
struct NodeIdentity {
  std::string name;
  std::string boot_id;  // /proc/sys/kernel/random/boot_id
};

struct ContainerSample {
  std::string id;       // runtime container id, without the "containerd://" scheme
  std::string runtime;  // "containerd", "cri-o", "docker"
  CgroupReading reading;
};

struct PodSample {
  std::string uid;
  std::string qos;                       // "guaranteed", "burstable", "besteffort"
  std::optional<CgroupReading> reading;  // the pod-level cgroup, when it was readable
  std::vector<ContainerSample> containers;
};

struct Sample {
  uint64_t seq = 0;  // strictly increasing per agent process; the cursor
  MonotonicTime monotonic{0};
  NodeReading node;
  std::vector<PodSample> pods;
};

struct SamplesResponse {
  NodeIdentity node;
  uint64_t cursor = 0;  // seq of the newest sample returned; the caller's next `since`
  uint32_t interval_seconds = 0;
  // The requested cursor is older than the ring's oldest sample: samples were lost between.
  bool truncated = false;
  // The response was cut at its size bound; ask again with since=cursor for the rest.
  bool more = false;
  std::vector<Sample> samples;
};

// One sample as a JSON object. The agent encodes each sample once, when it is taken, and
// serves the stored text to every scraper.
std::string EncodeSample(const Sample& sample);

// The envelope around already-encoded samples (each one an EncodeSample result).
std::string EncodeResponse(const NodeIdentity& node, uint64_t cursor, uint32_t interval_seconds,
                           bool truncated, bool more,
                           const std::vector<std::string_view>& encoded_samples);

std::string EncodeResponse(const SamplesResponse& response);

// Never throws, whatever `json` holds. Errors name the JSON path that is wrong, e.g.
// "samples[3].pods[0].containers[1].reading.memory.usageBytes: expected unsigned integer".
Result<SamplesResponse> DecodeSamplesResponse(std::string_view json);

}  // namespace gt::wire
