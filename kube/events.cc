#include "kube/events.h"

#include <cstdio>

#include "kube/time_format.h"

namespace gt::kube {

ObjectReference ReferenceTo(const Json& object, std::string api_version, std::string kind) {
  ObjectReference ref;
  ref.api_version = std::move(api_version);
  ref.kind = std::move(kind);
  const Json& meta = ObjectField(object, "metadata");
  ref.namespace_name = StringField(meta, "namespace");
  ref.name = StringField(meta, "name");
  ref.uid = StringField(meta, "uid");
  ref.resource_version = StringField(meta, "resourceVersion");
  return ref;
}

EventRecorder::EventRecorder(KubeClient& client, Clock& clock, EventRecorderOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

void EventRecorder::Remember(const std::string& key, Seen seen) {
  auto it = seen_.find(key);
  if (it != seen_.end()) {
    lru_.erase(it->second.second);
    seen_.erase(it);
  }
  lru_.push_front(key);
  seen_.emplace(key, std::make_pair(std::move(seen), lru_.begin()));
  while (seen_.size() > options_.cache_size) {
    seen_.erase(lru_.back());
    lru_.pop_back();
  }
}

Status EventRecorder::Create(const std::string& key, const ObjectReference& obj, const char* type,
                             const std::string& reason, const std::string& message) {
  const auto now = clock_.Wall();
  const std::string ts = FormatTime(now);
  // client-go names events "<object>.<unix nanos in hex>".
  char suffix[32];
  std::snprintf(
      suffix, sizeof suffix, ".%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
  const std::string ns = obj.namespace_name.empty() ? "default" : obj.namespace_name;
  Json involved = {{"apiVersion", obj.api_version}, {"kind", obj.kind}, {"name", obj.name}};
  if (!obj.namespace_name.empty()) involved["namespace"] = obj.namespace_name;
  if (!obj.uid.empty()) involved["uid"] = obj.uid;
  if (!obj.resource_version.empty()) involved["resourceVersion"] = obj.resource_version;
  Json source = {{"component", options_.component}};
  if (!options_.host.empty()) source["host"] = options_.host;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", obj.name + suffix}, {"namespace", ns}}},
                {"involvedObject", involved},
                {"reason", reason},
                {"message", message},
                {"type", type},
                {"source", source},
                {"firstTimestamp", ts},
                {"lastTimestamp", ts},
                {"count", 1},
                {"reportingComponent", options_.component},
                {"reportingInstance", options_.host}};
  const std::string path = "/api/v1/namespaces/" + ns + "/events";
  auto r = client_.Create(path, event);
  if (!r) return r.error();
  if (!r->ok()) return ToError(*r, path);
  Remember(key, Seen{obj.name + suffix, ns, 1, ts});
  return OkStatus();
}

Status EventRecorder::Record(const ObjectReference& obj, EventType event_type,
                             const std::string& reason, const std::string& message) {
  std::lock_guard lock(mu_);
  const char* type = event_type == EventType::kWarning ? "Warning" : "Normal";
  const auto now = clock_.Wall();
  const std::string object_key = options_.component + "\x1f" + options_.host + "\x1f" +
                                 obj.api_version + "\x1f" + obj.kind + "\x1f" + obj.namespace_name +
                                 "\x1f" + obj.name + "\x1f" + obj.uid + "\x1f" + type + "\x1f" +
                                 reason;
  // EventAggregator: too many distinct messages for one reason within the window collapse.
  Similar& sim = similar_[object_key];
  if (now - sim.last > options_.aggregate_window) sim.messages.clear();
  sim.last = now;
  sim.messages.insert(message);
  std::string msg = message;
  std::string key = object_key + "\x1f" + message;
  if (static_cast<int>(sim.messages.size()) >= options_.aggregate_max) {
    msg = "(combined from similar events): " + message;
    key = object_key;
  }
  if (similar_.size() > options_.cache_size) similar_.clear();  // bounded, like the LRU

  // EventLogger: the same event again is a patch of count and lastTimestamp.
  auto it = seen_.find(key);
  if (it == seen_.end()) return Create(key, obj, type, reason, msg);
  Seen seen = it->second.first;
  seen.count += 1;
  const std::string ts = FormatTime(now);
  const Json patch = {{"count", seen.count}, {"lastTimestamp", ts}, {"message", msg}};
  const std::string path =
      "/api/v1/namespaces/" + seen.event_namespace + "/events/" + seen.event_name;
  auto r = client_.Patch(path, patch, PatchType::kStrategicMerge);
  if (!r) return r.error();
  if (r->not_found()) return Create(key, obj, type, reason, msg);  // expired (TTL 1h): start anew
  if (!r->ok()) return ToError(*r, path);
  Remember(key, seen);
  return OkStatus();
}

}  // namespace gt::kube
