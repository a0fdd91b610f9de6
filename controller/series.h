// The readings scraped since the last pass, per container and per node, bounded.
// reconcile::Judge is incremental: its state carries every window and the newest reading
// it was given, so a container's readings are dropped once judged and only their time is
// kept, to ignore an overlapping scrape. Until then they are held packed as the judge keeps
// them (reconcile/history.h: the fields the rules read, ~15 bytes instead of ~700), since
// between a scrape and the pass every container of the cluster has one here. Nodes keep
// their newest reading as the base for the next rates: it serves every workload on the node.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/reading.h"

namespace gt::controller {

struct SeriesOptions {
  std::chrono::nanoseconds retention = std::chrono::minutes(3);  // older readings are dropped
  // Per container and per node, newest kept: a bound between passes (what was judged is
  // dropped), so only a backlog after an outage ever reaches it.
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

  // The readings not yet judged, oldest first (empty: all judged); nullopt: never scraped,
  // or not within the retention.
  std::optional<std::vector<CgroupReading>> Find(const std::string& pod_uid,
                                                 const std::string& container_id) const;
  const std::vector<NodeReading>* FindNode(const std::string& node) const;

  // The Judge has folded these readings into its state, which keeps what the next rates
  // need: drop them.
  void DropJudged(const std::string& pod_uid, const std::string& container_id);
  // A node's readings serve every workload on the node: keep the newest as the base.
  void KeepNewestNode(const std::string& node);

  void ForgetPod(const std::string& pod_uid);
  void ForgetNode(const std::string& node);
  // Drops readings older than the retention, and series not scraped within it.
  void Prune(MonotonicTime now);

  size_t container_count() const;
  size_t reading_count() const;  // held, not yet judged

 private:
  struct ContainerSeries {
    std::string id;
    MonotonicTime newest{0};  // of every reading appended, judged or not
    MonotonicTime oldest{0};  // of those in `packed`: Prune decodes only what it cuts
    std::string packed;       // reconcile::PackReadings of those not judged yet
    uint32_t count = 0;       // readings in `packed`
  };
  SeriesOptions options_;
  std::unordered_map<std::string, std::vector<ContainerSeries>> pods_;
  std::unordered_map<std::string, std::vector<NodeReading>> nodes_;
};

}  // namespace gt::controller
