// Takes one sample per tick: finds the node's pods, reads every pod and container cgroup
// through a reader kept open across ticks, reads the node, and appends the encoded sample to
// the ring. Runs on its own thread; the server only ever reads the ring.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "agent/metrics.h"
#include "agent/ring.h"
#include "collectors/cgroup_reader.h"
#include "collectors/host.h"
#include "collectors/node_reader.h"
#include "common/clock.h"
#include "common/result.h"
#include "wire/samples.h"

namespace gt::agent {

struct SamplerOptions {
  collectors::HostPaths host;
  std::chrono::nanoseconds interval = std::chrono::seconds(5);
  // Read the pod-level cgroup as well as its containers' (limits and OOM kills set at the
  // pod level show only there).
  bool pod_cgroups = true;
  // When set, only pods under this kubepods cgroup (relative path) are read; otherwise the
  // kubelet's root cgroup is searched for.
  std::string kubepods_relative;
};

// /proc/sys/kernel/random/boot_id under the host's /proc, without the newline.
Result<std::string> ReadBootId(const collectors::HostPaths& host);

class Sampler {
 public:
  static Result<std::unique_ptr<Sampler>> Create(SamplerOptions options, Ring& ring,
                                                 const Clock& clock, AgentMetrics& metrics);

  // One tick. Errors are logged and counted; a vanished cgroup is not an error.
  Status SampleOnce();

  // Samples every interval until Stop(); the first sample is taken at once.
  void Run();
  void Stop();

  size_t open_readers() const { return readers_.size(); }
  uint64_t last_seq() const { return seq_; }

 private:
  Sampler(SamplerOptions options, Ring& ring, const Clock& clock, AgentMetrics& metrics,
          collectors::CgroupLayout layout, std::unique_ptr<collectors::NodeReader> node)
      : options_(std::move(options)),
        ring_(ring),
        clock_(clock),
        metrics_(metrics),
        layout_(layout),
        node_reader_(std::move(node)) {}

  // The reader for `path`, opened now if new; nullptr when it cannot be opened.
  collectors::CgroupReader* ReaderFor(const std::string& path, bool network, bool blocked);
  std::optional<CgroupReading> ReadCgroup(const std::string& path, bool network, bool blocked);

  SamplerOptions options_;
  Ring& ring_;
  const Clock& clock_;
  AgentMetrics& metrics_;
  collectors::CgroupLayout layout_;
  std::unique_ptr<collectors::NodeReader> node_reader_;
  // Keyed by relative cgroup path; entries not seen in a tick's discovery are closed.
  std::map<std::string, std::unique_ptr<collectors::CgroupReader>> readers_;
  std::map<std::string, bool> seen_;  // paths discovered in the current tick
  // Cgroups whose failure was logged: one line per cgroup, not one per tick.
  std::set<std::string> warned_;
  uint64_t seq_ = 0;
  bool discovery_failing_ = false;
  bool node_failing_ = false;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

}  // namespace gt::agent
