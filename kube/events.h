// core/v1 Events with client-go's EventCorrelator behaviour: the same event again becomes a
// count + lastTimestamp patch of the first; more than `aggregate_max` events of one reason on
// one object within the window collapse into one "(combined from similar events)" event.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "kube/client.h"

namespace gt::kube {

struct ObjectReference {
  std::string api_version;  // apps/v1
  std::string kind;         // Deployment
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string resource_version;
};

// Fills namespace/name/uid/resourceVersion from an object's metadata.
ObjectReference ReferenceTo(const Json& object, std::string api_version, std::string kind);

enum class EventType { kNormal, kWarning };

struct EventRecorderOptions {
  std::string component = "groundtruth";
  std::string host;          // source.host / reportingInstance: the pod or node name
  size_t cache_size = 4096;  // client-go's maxLruCacheEntries
  std::chrono::minutes aggregate_window{10};
  int aggregate_max = 10;
};

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, Clock& clock, EventRecorderOptions options = {});
  // Writes (or patches) the event synchronously; a failure is returned, never thrown.
  Status Record(const ObjectReference& object, EventType type, const std::string& reason,
                const std::string& message);

 private:
  struct Seen {
    std::string event_name;
    std::string event_namespace;
    int count = 0;
    std::string first_timestamp;
  };
  struct Similar {
    std::set<std::string> messages;
    std::chrono::system_clock::time_point last;
  };

  Status Create(const std::string& key, const ObjectReference& object, const char* type,
                const std::string& reason, const std::string& message);
  void Remember(const std::string& key, Seen seen);

  KubeClient& client_;
  Clock& clock_;
  EventRecorderOptions options_;
  std::mutex mu_;
  std::map<std::string, Similar> similar_;
  std::map<std::string, std::pair<Seen, std::list<std::string>::iterator>> seen_;
  std::list<std::string> lru_;  // most recent first
};

}  // namespace gt::kube
