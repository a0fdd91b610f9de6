#include "agent/sampler.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/log.h"
#include "collectors/discovery.h"

namespace gt::agent {

using collectors::CgroupReader;

Result<std::string> ReadBootId(const collectors::HostPaths& host) {
  std::string path = host.proc + "/sys/kernel/random/boot_id";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, std::strerror(errno),
                     path);
  }
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf);
  int saved = errno;
  ::close(fd);
  if (n < 0) return MakeError(ErrorCode::kIo, std::strerror(saved), path);
  std::string id(buf, static_cast<size_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  // "6c1f7a46-8a8e-4a0c-9d6e-0d3f1b2c3d4e"
  if (id.empty()) return MakeError(ErrorCode::kMalformed, "empty boot id", path);
  return id;
}

Result<std::unique_ptr<Sampler>> Sampler::Create(SamplerOptions options, Ring& ring,
                                                 const Clock& clock, AgentMetrics& metrics) {
  Result<collectors::CgroupLayout> layout = collectors::DetectLayout(options.host);
  if (!layout) return layout.error();
  Result<std::unique_ptr<collectors::NodeReader>> node = collectors::NodeReader::Open(options.host);
  if (!node) return node.error();
  return std::unique_ptr<Sampler>(
      new Sampler(std::move(options), ring, clock, metrics, *layout, std::move(*node)));
}

CgroupReader* Sampler::ReaderFor(const std::string& path, bool network, bool blocked) {
  seen_[path] = true;
  auto it = readers_.find(path);
  if (it != readers_.end()) return it->second.get();
  CgroupReader::Options opts;
  opts.network = network;
  opts.blocked_threads = blocked;
  Result<std::unique_ptr<CgroupReader>> reader =
      CgroupReader::Open(options_.host, layout_, path, opts);
  if (!reader) {
    // Discovered a moment ago and gone already: pods churn.
    if (reader.error().code != ErrorCode::kNotFound && !reader.error().gone()) {
      metrics_.read_errors.fetch_add(1, std::memory_order_relaxed);
      if (warned_.insert(path).second) {
        LogWarning("cannot open cgroup " + path + ": " + reader.error().ToString());
      }
    }
    return nullptr;
  }
  return readers_.emplace(path, std::move(*reader)).first->second.get();
}

std::optional<CgroupReading> Sampler::ReadCgroup(const std::string& path, bool network,
                                                 bool blocked) {
  CgroupReader* reader = ReaderFor(path, network, blocked);
  if (reader == nullptr) return std::nullopt;
  Result<CgroupReading> reading = reader->Read(clock_.Monotonic());
  if (!reading) {
    if (!reading.error().gone()) {
      metrics_.read_errors.fetch_add(1, std::memory_order_relaxed);
      if (warned_.insert(path).second) {
        LogWarning("cannot read cgroup " + path + ": " + reading.error().ToString());
      }
    }
    // Reopened next tick if discovery still lists it (a cgroup re-created under one name).
    readers_.erase(path);
    return std::nullopt;
  }
  return std::move(*reading);
}

Status Sampler::SampleOnce() {
  MonotonicTime start = clock_.Monotonic();
  seen_.clear();

  wire::Sample sample;
  sample.monotonic = start;

  Result<NodeReading> node = node_reader_->Read(start);
  if (node) {
    sample.node = std::move(*node);
    if (node_failing_) LogInfo("node files readable again");
    node_failing_ = false;
  } else {
    metrics_.read_errors.fetch_add(1, std::memory_order_relaxed);
    if (!node_failing_) LogWarning("cannot read node files: " + node.error().ToString());
    node_failing_ = true;
  }

  Result<std::vector<collectors::DiscoveredPod>> pods =
      options_.kubepods_relative.empty()
          ? collectors::DiscoverPods(options_.host, layout_)
          : collectors::DiscoverPodsUnder(options_.host, layout_, options_.kubepods_relative);
  if (!pods) {
    // No pods is a fact worth sending only when discovery worked; otherwise skip the tick
    // rather than tell the controller every container vanished.
    metrics_.sample_failures.fetch_add(1, std::memory_order_relaxed);
    if (!discovery_failing_) LogError("pod discovery failed: " + pods.error().ToString());
    discovery_failing_ = true;
    return pods.error();
  }
  if (discovery_failing_) LogInfo("pod discovery works again");
  discovery_failing_ = false;

  sample.pods.reserve(pods->size());
  for (const collectors::DiscoveredPod& pod : *pods) {
    wire::PodSample out;
    out.uid = pod.pod_uid;
    out.qos = pod.qos;
    if (options_.pod_cgroups) {
      out.reading = ReadCgroup(pod.relative_path, /*network=*/false, /*blocked=*/false);
    }
    out.containers.reserve(pod.containers.size());
    bool network_read = false;
    for (const collectors::DiscoveredContainer& c : pod.containers) {
      // Containers of a pod share one network namespace: read it through the first only.
      std::optional<CgroupReading> reading =
          ReadCgroup(c.relative_path, /*network=*/!network_read, /*blocked=*/true);
      if (!reading) continue;
      network_read = network_read || reading->net.has_value();
      out.containers.push_back(
          wire::ContainerSample{c.container_id, c.runtime, std::move(*reading)});
    }
    sample.pods.push_back(std::move(out));
  }

  // Close readers of cgroups that are gone from the hierarchy; forget their warnings.
  for (auto it = readers_.begin(); it != readers_.end();) {
    it = seen_.count(it->first) ? std::next(it) : readers_.erase(it);
  }
  for (auto it = warned_.begin(); it != warned_.end();) {
    it = seen_.count(*it) ? std::next(it) : warned_.erase(it);
  }

  sample.seq = ++seq_;
  std::string json = wire::EncodeSample(sample);
  Result<std::shared_ptr<const StoredSample>> stored =
      StoredSample::Compress(sample.seq, sample.monotonic, json);
  if (!stored) {
    metrics_.sample_failures.fetch_add(1, std::memory_order_relaxed);
    LogError("cannot store sample: " + stored.error().ToString());
    return stored.error();
  }
  if (Status appended = ring_.Append(std::move(*stored)); !appended) return appended.error();

  MonotonicTime end = clock_.Monotonic();
  uint64_t took = static_cast<uint64_t>((end - start).count());
  metrics_.samples_taken.fetch_add(1, std::memory_order_relaxed);
  metrics_.sample_duration.Observe(std::chrono::nanoseconds(took));
  metrics_.last_sample_duration_ns.store(took, std::memory_order_relaxed);
  metrics_.last_sample_monotonic_ns.store(start.count(), std::memory_order_relaxed);
  metrics_.cgroups_tracked.store(readers_.size(), std::memory_order_relaxed);
  metrics_.pods_tracked.store(pods->size(), std::memory_order_relaxed);
  return OkStatus();
}

void Sampler::Run() {
  MonotonicTime next = clock_.Monotonic();
  while (true) {
    (void)SampleOnce();
    // A sample is built from thousands of small allocations that are all freed by now; glibc
    // keeps the freed pages of a thread's arena resident until told (about 0.4 MiB on a 110-pod
    // node, against a 10 MiB budget). One pass over two small arenas per tick is cheap.
    malloc_trim(0);
    next += options_.interval;
    MonotonicTime now = clock_.Monotonic();
    // Behind by more than a tick (a stalled host): skip the missed ticks, keep the phase.
    while (next <= now) next += options_.interval;
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_cv_.wait_for(lock, next - now, [this] { return stop_; })) return;
  }
}

void Sampler::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  stop_ = true;
  stop_cv_.notify_all();
}

}  // namespace gt::agent
