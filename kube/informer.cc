#include "kube/informer.h"

#include <set>

namespace gt::kube {

std::string ObjectKey(const Json& object) {
  const Json& meta = ObjectField(object, "metadata");
  const std::string name = StringField(meta, "name");
  const std::string ns = StringField(meta, "namespace");
  if (name.empty()) return {};
  return ns.empty() ? name : ns + "/" + name;
}

StopSleeper RealStopSleeper() {
  return [](Duration d, std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, d, [] { return false; });
  };
}

Informer::Informer(KubeClient& client, Clock& clock, InformerOptions options, Uniform rand,
                   StopSleeper sleep)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      rand_(std::move(rand)),
      sleep_(std::move(sleep)) {}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandler(ResourceEventHandler handler) {
  handlers_.push_back(std::move(handler));
}

void Informer::Start() {
  watch_thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  if (options_.resync.count() > 0) {
    resync_thread_ = std::jthread([this](std::stop_token stop) { ResyncLoop(stop); });
  }
}

void Informer::RequestStop() {
  resync_thread_.request_stop();
  watch_thread_.request_stop();
}

void Informer::Stop() {
  if (resync_thread_.joinable()) {
    resync_thread_.request_stop();
    resync_thread_.join();
  }
  if (watch_thread_.joinable()) {
    watch_thread_.request_stop();
    watch_thread_.join();
  }
}

ObjectPtr Informer::Get(const std::string& key) const {
  std::shared_lock lock(store_mu_);
  const auto it = store_.find(key);
  return it == store_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List() const {
  std::shared_lock lock(store_mu_);
  std::vector<ObjectPtr> out;
  out.reserve(store_.size());
  for (const auto& [k, v] : store_) out.push_back(v);
  return out;
}

size_t Informer::size() const {
  std::shared_lock lock(store_mu_);
  return store_.size();
}

std::string Informer::last_sync_resource_version() const {
  std::shared_lock lock(store_mu_);
  return resource_version_;
}

void Informer::Run(std::stop_token stop) {
  BackoffManager backoff(rand_);
  while (!stop.stop_requested()) {
    Progress();
    Status st = ListAndWatch(stop);
    Progress();
    if (stop.stop_requested()) break;
    if (!st && options_.on_error) options_.on_error(st.error());
    // Like wait.BackoffUntil in the reflector: pause between cycles, growing on repeated failure.
    sleep_(backoff.Next(clock_.Monotonic()), stop);
  }
}

void Informer::ResyncLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    sleep_(options_.resync, stop);
    if (stop.stop_requested()) break;
    if (HasSynced()) Resync();
  }
}

void Informer::Resync() {
  std::lock_guard dispatch(dispatch_mu_);
  for (const ObjectPtr& obj : List()) {
    for (const auto& h : handlers_) {
      if (h.on_update) h.on_update(*obj, *obj);
    }
  }
}

Status Informer::Relist() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  {
    std::shared_lock lock(store_mu_);
    // client-go's relistResourceVersion: "0" (any cached state) at first, the last synced
    // version afterwards, "" (a consistent read from etcd) after the version expired.
    lo.resource_version = resource_version_unavailable_ ? ""
                          : resource_version_.empty()   ? "0"
                                                        : resource_version_;
  }
  // Each page's items are trimmed and keyed as the page arrives, so the list costs what the
  // store keeps plus one page, not every object in full.
  std::map<std::string, ObjectPtr> fresh;
  ListSink sink;
  sink.on_item = [this, &fresh](Json&& item) {
    if (options_.transform) options_.transform(item);
    std::string key = ObjectKey(item);
    if (key.empty()) return;
    fresh.emplace(std::move(key), std::make_shared<const Json>(std::move(item)));
  };
  sink.on_restart = [&fresh] { fresh.clear(); };
  auto listed = client_.ListEach(options_.path, lo, sink);
  if (!listed) {
    if (listed.error().code == ErrorCode::kGone) {
      std::unique_lock lock(store_mu_);
      resource_version_unavailable_ = true;
    }
    return listed.error();
  }
  std::lock_guard dispatch(dispatch_mu_);
  std::map<std::string, ObjectPtr> old;
  {
    std::unique_lock lock(store_mu_);
    old.swap(store_);
    store_ = fresh;
    resource_version_ = std::move(*listed);
    resource_version_unavailable_ = false;
  }
  for (const auto& [key, obj] : fresh) {
    const auto it = old.find(key);
    for (const auto& h : handlers_) {
      if (it == old.end()) {
        if (h.on_add) h.on_add(*obj);
      } else if (h.on_update) {
        h.on_update(*it->second, *obj);
      }
    }
  }
  for (const auto& [key, obj] : old) {
    if (fresh.count(key) != 0) continue;
    for (const auto& h : handlers_) {
      if (h.on_delete) h.on_delete(*obj);
    }
  }
  synced_.store(true);
  return OkStatus();
}

void Informer::SetResourceVersion(const Json& object) {
  std::string rv = StringField(ObjectField(object, "metadata"), "resourceVersion");
  if (rv.empty()) return;
  std::unique_lock lock(store_mu_);
  resource_version_ = std::move(rv);
}

void Informer::Apply(WatchEvent&& event) {
  if (event.type == WatchEventType::kBookmark) {
    SetResourceVersion(event.object);
    return;
  }
  std::lock_guard dispatch(dispatch_mu_);
  SetResourceVersion(event.object);
  if (options_.transform) options_.transform(event.object);
  std::string key = ObjectKey(event.object);
  if (key.empty()) return;
  auto obj = std::make_shared<const Json>(std::move(event.object));
  ObjectPtr old;
  {
    std::unique_lock lock(store_mu_);
    auto it = store_.find(key);
    if (it != store_.end()) old = it->second;
    if (event.type == WatchEventType::kDeleted) {
      if (it != store_.end()) store_.erase(it);
    } else {
      store_[key] = obj;
    }
  }
  for (const auto& h : handlers_) {
    if (event.type == WatchEventType::kDeleted) {
      if (h.on_delete) h.on_delete(*obj);  // the final state the server sent
    } else if (old) {
      if (h.on_update) h.on_update(*old, *obj);
    } else if (h.on_add) {
      h.on_add(*obj);
    }
  }
}

Status Informer::ListAndWatch(std::stop_token stop) {
  Status listed = OkStatus();
  try {
    listed = Relist();
  } catch (const std::exception& e) {
    // A handler or transform choked on an object: report it, keep the thread alive.
    listed = MakeError(ErrorCode::kMalformed, std::string("relist: ") + e.what(), options_.path);
  }
  if (!listed) return listed;
  Progress();
  BackoffManager backoff(rand_);
  while (!stop.stop_requested()) {
    WatchOptions wo;
    wo.label_selector = options_.label_selector;
    wo.field_selector = options_.field_selector;
    wo.resource_version = last_sync_resource_version();
    wo.allow_bookmarks = true;
    // Randomised so that many informers do not all re-watch in the same second.
    wo.timeout = std::chrono::seconds(static_cast<int64_t>(
        static_cast<double>(options_.min_watch_timeout.count()) * (1.0 + rand_())));
    const MonotonicTime started = clock_.Monotonic();
    size_t events = 0;
    Status st = client_.Watch(
        options_.path, wo,
        [this, &events](WatchEvent&& e) {
          ++events;
          Apply(std::move(e));
          Progress();
        },
        stop);
    Progress();
    if (stop.stop_requested()) return OkStatus();
    if (st) {
      // client-go's "very short watch": a server that closes at once would otherwise be
      // hammered in a tight loop; go back to the paced relist instead.
      if (events == 0 && clock_.Monotonic() - started < std::chrono::seconds(1)) {
        return MakeError(ErrorCode::kUnavailable,
                         "very short watch: closed within a second with no events", options_.path);
      }
      continue;  // the server closed the watch at timeoutSeconds: resume from the last version
    }
    if (st.error().code == ErrorCode::kGone) {
      std::unique_lock lock(store_mu_);
      resource_version_unavailable_ = true;  // the version is too old: relist
      return st;
    }
    if (st.error().code != ErrorCode::kUnavailable) return st;  // malformed stream etc.: relist
    // Disconnected: resume the watch where it stopped; the server still has the version
    // unless it answers 410, which sends us to relist.
    if (options_.on_error) options_.on_error(st.error());
    sleep_(backoff.Next(clock_.Monotonic()), stop);
  }
  return OkStatus();
}

}  // namespace gt::kube
