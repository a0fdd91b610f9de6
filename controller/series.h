// The recent readings per container and per node, bounded. reconcile::Judge is incremental
// (its state carries every window), so only a short tail is kept: the readings not yet
// judged plus a few before them as the base for rates.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/reading.h"

namespace gt::controller {

struct SeriesOptions {
  std::chrono::nanoseconds retention = std::chrono::minutes(3);  // older readings are dropped
  // Per container and per node, newest kept: a bound between passes (what was judged is
  // cut back to one reading), so only a backlog after an outage ever reaches it.
  size_t max_samples = 8;
};

class SeriesStore {
 public:
  explicit SeriesStore(SeriesOptions options = {}) : options_(options) {}

  // Readings must arrive oldest first; one not newer than the last kept is ignored (an
  // overlapping scrape), so appending is idempotent.
  void Append(const std::string& pod_uid, const std::string& container_id,
              const CgroupReading& reading);
  void AppendNode(const std::string& node, const NodeReading& reading);

  const std::vector<CgroupReading>* Find(const std::string& pod_uid,
                                         const std::string& container_id) const;
  const std::vector<NodeReading>* FindNode(const std::string& node) const;

  // The Judge has folded these readings into its state: keep only the newest, the base
  // for the next rates.
  void KeepNewest(const std::string& pod_uid, const std::string& container_id);
  void KeepNewestNode(const std::string& node);

  void ForgetPod(const std::string& pod_uid);
  void ForgetNode(const std::string& node);
  // Drops readings older than the retention, and series left empty.
  void Prune(MonotonicTime now);

  size_t container_count() const;
  size_t reading_count() const;

 private:
  struct ContainerSeries {
    std::string id;
    std::vector<CgroupReading> readings;
  };
  SeriesOptions options_;
  std::unordered_map<std::string, std::vector<ContainerSeries>> pods_;
  std::unordered_map<std::string, std::vector<NodeReading>> nodes_;
};

}  // namespace gt::controller
