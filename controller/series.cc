#include "controller/series.h"

#include <algorithm>

namespace gt::controller {
namespace {

template <typename Reading>
void AppendBounded(std::vector<Reading>& series, const Reading& reading, size_t max_samples) {
  if (!series.empty() && reading.time <= series.back().time) return;
  if (max_samples > 0 && series.size() >= max_samples) {
    series.erase(series.begin(), series.begin() + (series.size() - max_samples + 1));
  }
  series.push_back(reading);
}

template <typename Reading>
void DropBefore(std::vector<Reading>& series, MonotonicTime cutoff) {
  auto first_kept = std::find_if(series.begin(), series.end(),
                                 [&](const Reading& r) { return r.time >= cutoff; });
  series.erase(series.begin(), first_kept);
}

}  // namespace

void SeriesStore::Append(const std::string& pod_uid, const std::string& container_id,
                         const CgroupReading& reading) {
  std::vector<ContainerSeries>& containers = pods_[pod_uid];
  for (ContainerSeries& series : containers) {
    if (series.id == container_id) {
      AppendBounded(series.readings, reading, options_.max_samples);
      return;
    }
  }
  // No reserve: between passes a series holds 1-3 readings, and 50,000 of them at the
  // full bound would be most of the controller's memory.
  containers.push_back(ContainerSeries{container_id, {reading}});
}

void SeriesStore::AppendNode(const std::string& node, const NodeReading& reading) {
  AppendBounded(nodes_[node], reading, options_.max_samples);
}

const std::vector<CgroupReading>* SeriesStore::Find(const std::string& pod_uid,
                                                    const std::string& container_id) const {
  auto it = pods_.find(pod_uid);
  if (it == pods_.end()) return nullptr;
  for (const ContainerSeries& series : it->second) {
    if (series.id == container_id) return &series.readings;
  }
  return nullptr;
}

const std::vector<NodeReading>* SeriesStore::FindNode(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

void SeriesStore::KeepNewest(const std::string& pod_uid, const std::string& container_id) {
  auto it = pods_.find(pod_uid);
  if (it == pods_.end()) return;
  for (ContainerSeries& series : it->second) {
    if (series.id == container_id && series.readings.size() > 1) {
      series.readings.erase(series.readings.begin(), series.readings.end() - 1);
      if (series.readings.capacity() > 4) series.readings.shrink_to_fit();  // after a backlog
    }
  }
}

void SeriesStore::KeepNewestNode(const std::string& node) {
  auto it = nodes_.find(node);
  if (it != nodes_.end() && it->second.size() > 1) {
    it->second.erase(it->second.begin(), it->second.end() - 1);
  }
}

void SeriesStore::ForgetPod(const std::string& pod_uid) { pods_.erase(pod_uid); }
void SeriesStore::ForgetNode(const std::string& node) { nodes_.erase(node); }

void SeriesStore::Prune(MonotonicTime now) {
  MonotonicTime cutoff = now - options_.retention;
  for (auto it = pods_.begin(); it != pods_.end();) {
    auto& containers = it->second;
    for (ContainerSeries& series : containers) DropBefore(series.readings, cutoff);
    std::erase_if(containers, [](const ContainerSeries& s) { return s.readings.empty(); });
    it = containers.empty() ? pods_.erase(it) : std::next(it);
  }
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    DropBefore(it->second, cutoff);
    it = it->second.empty() ? nodes_.erase(it) : std::next(it);
  }
}

size_t SeriesStore::container_count() const {
  size_t n = 0;
  for (const auto& [uid, containers] : pods_) n += containers.size();
  return n;
}

size_t SeriesStore::reading_count() const {
  size_t n = 0;
  for (const auto& [uid, containers] : pods_) {
    for (const ContainerSeries& series : containers) n += series.readings.size();
  }
  return n;
}

}  // namespace gt::controller
