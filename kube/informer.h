// A list+watch cache of one resource (client-go's reflector + indexer + shared informer,
// reduced to what the controller needs). One thread per informer runs the watch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "kube/backoff.h"
#include "kube/client.h"

namespace gt::kube {

using ObjectPtr = std::shared_ptr<const Json>;

// "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
std::string ObjectKey(const Json& object);

struct ResourceEventHandler {
  std::function<void(const Json& object)> on_add;
  // Also called with old == new on resync and for every object of a relist, like client-go.
  std::function<void(const Json& old_object, const Json& new_object)> on_update;
  std::function<void(const Json& last_known)> on_delete;
};

struct InformerOptions {
  std::string path;  // collection path: /apis/apps/v1/deployments, /api/v1/namespaces/x/pods
  std::string label_selector;
  std::string field_selector;
  std::chrono::nanoseconds resync{0};  // 0: never
  // The reflector's bound: each watch asks for timeoutSeconds in [min, 2*min).
  std::chrono::seconds min_watch_timeout{300};
  int64_t page_size = 500;
  // Trims an object before it is stored (client-go's SetTransform), e.g. managedFields:
  // memory grows with the cluster, not with what the controller reads.
  std::function<void(Json&)> transform;
  // Told of every failed list or watch (then retried with backoff), for the caller's log:
  // the informer itself never logs. Called on the informer's thread.
  std::function<void(const Error&)> on_error;
  // Told whenever the informer's loop moves (a list or watch ends, either way, or an event
  // arrives), for a liveness check: every wait in the loop is bounded, so a long silence
  // means it is stuck. Called on the informer's thread.
  std::function<void()> on_progress;
};

// Waits `d` unless `stop` is requested first. Injected so tests do not sleep.
using StopSleeper = std::function<void(Duration d, std::stop_token stop)>;
StopSleeper RealStopSleeper();

class Informer {
 public:
  Informer(KubeClient& client, Clock& clock, InformerOptions options,
           Uniform rand = DefaultUniform(), StopSleeper sleep = RealStopSleeper());
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Handlers run on the informer's thread, one at a time; add them before Start().
  void AddEventHandler(ResourceEventHandler handler);
  void Start();
  void Stop();  // joins the thread; safe to call twice
  // Asks the threads to stop without waiting for them (to stop many informers at once).
  void RequestStop();
  bool HasSynced() const { return synced_.load(); }

  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;
  size_t size() const;
  std::string last_sync_resource_version() const;

  // One list-then-watch cycle on the caller's thread (what Start runs in a loop); for tests.
  Status ListAndWatch(std::stop_token stop);
  void Resync();

 private:
  void Run(std::stop_token stop);
  void ResyncLoop(std::stop_token stop);
  Status Relist();
  void Apply(WatchEvent&& event);
  void SetResourceVersion(const Json& object);
  void Progress() const {
    if (options_.on_progress) options_.on_progress();
  }

  KubeClient& client_;
  Clock& clock_;
  InformerOptions options_;
  Uniform rand_;
  StopSleeper sleep_;
  std::vector<ResourceEventHandler> handlers_;

  mutable std::shared_mutex store_mu_;
  std::map<std::string, ObjectPtr> store_;
  std::string resource_version_;
  bool resource_version_unavailable_ = false;  // after 410: relist from etcd, not the cache

  std::mutex dispatch_mu_;  // serialises store changes with their handler calls
  std::atomic<bool> synced_{false};
  std::jthread watch_thread_;
  std::jthread resync_thread_;
};

}  // namespace gt::kube
