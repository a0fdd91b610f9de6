#include "controller/series.h"

#include <algorithm>

#include "reconcile/history.h"

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

namespace {

std::string Pack(const std::vector<CgroupReading>& readings) {
  std::vector<const CgroupReading*> pointers;
  pointers.reserve(readings.size());
  for (const CgroupReading& r : readings) pointers.push_back(&r);
  return reconcile::PackReadings(pointers);
}

}  // namespace

void SeriesStore::Append(const std::string& pod_uid, const std::string& container_id,
                         const CgroupReading& reading) {
  std::vector<ContainerSeries>& containers = pods_[pod_uid];
  auto series = std::find_if(containers.begin(), containers.end(),
                             [&](const ContainerSeries& s) { return s.id == container_id; });
  if (series == containers.end()) {
    containers.push_back(
        ContainerSeries{container_id, reading.time, reading.time, Pack({reading}), 1});
    return;
  }
  if (reading.time <= series->newest) return;
  series->newest = reading.time;
  if (series->count == 0) {  // the common case: one new reading since the last pass
    series->oldest = reading.time;
    series->packed = Pack({reading});
    series->count = 1;
    return;
  }
  std::vector<CgroupReading> readings = reconcile::UnpackReadings(series->packed);
  AppendBounded(readings, reading, options_.max_samples);
  series->oldest = readings.front().time;
  series->packed = Pack(readings);
  series->count = static_cast<uint32_t>(readings.size());
}

void SeriesStore::AppendNode(const std::string& node, const NodeReading& reading) {
  AppendBounded(nodes_[node], reading, options_.max_samples);
}

std::optional<std::vector<CgroupReading>> SeriesStore::Find(const std::string& pod_uid,
                                                            const std::string& container_id) const {
  auto it = pods_.find(pod_uid);
  if (it == pods_.end()) return std::nullopt;
  for (const ContainerSeries& series : it->second) {
    if (series.id == container_id) return reconcile::UnpackReadings(series.packed);
  }
  return std::nullopt;
}

const std::vector<NodeReading>* SeriesStore::FindNode(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

void SeriesStore::DropJudged(const std::string& pod_uid, const std::string& container_id) {
  auto it = pods_.find(pod_uid);
  if (it == pods_.end()) return;
  for (ContainerSeries& series : it->second) {
    if (series.id == container_id) {
      std::string().swap(series.packed);  // freed, not cleared: 50,000 capacities add up
      series.count = 0;
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
    for (ContainerSeries& series : containers) {
      // Nothing held, nothing too old, or the whole series goes below.
      if (series.count == 0 || series.oldest >= cutoff || series.newest < cutoff) continue;
      std::vector<CgroupReading> readings = reconcile::UnpackReadings(series.packed);
      DropBefore(readings, cutoff);
      series.oldest = readings.front().time;
      series.packed = Pack(readings);
      series.count = static_cast<uint32_t>(readings.size());
    }
    std::erase_if(containers, [&](const ContainerSeries& s) { return s.newest < cutoff; });
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
    for (const ContainerSeries& series : containers) n += series.count;
  }
  return n;
}

}  // namespace gt::controller
