// A scripted in-memory KubeClient for informer, event and apply tests.
#pragma once

#include <deque>
#include <mutex>
#include <stop_token>
#include <vector>

#include "kube/client.h"

namespace gt::kube::testing {

class ScriptedClient : public KubeClient {
 public:
  struct WatchScript {
    std::vector<WatchEvent> events;
    Status end = OkStatus();
  };
  struct Call {
    std::string verb;
    std::string path;
    Json body;
    std::string extra;  // patch type or field manager
  };

  std::deque<Result<ListResult>> lists;
  std::deque<WatchScript> watches;
  std::deque<ApiResponse> responses;  // for Get/Create/Update/Patch/Apply, in order
  std::vector<ListOptions> list_calls;
  std::vector<WatchOptions> watch_calls;
  std::vector<Call> calls;
  std::stop_source* stop_when_exhausted = nullptr;

  Result<ApiResponse> Get(const std::string& path) override {
    return Next("GET", path, nullptr, "");
  }
  Result<ListResult> List(const std::string& path, const ListOptions& o) override {
    (void)path;
    list_calls.push_back(o);
    if (lists.empty()) return MakeError(ErrorCode::kUnavailable, "no list scripted");
    auto r = std::move(lists.front());
    lists.pop_front();
    return r;
  }
  Status Watch(const std::string& path, const WatchOptions& o, const WatchHandler& on_event,
               std::stop_token stop) override {
    (void)path;
    (void)stop;
    watch_calls.push_back(o);
    if (watches.empty()) {
      if (stop_when_exhausted) stop_when_exhausted->request_stop();
      return OkStatus();
    }
    WatchScript s = std::move(watches.front());
    watches.pop_front();
    for (auto& e : s.events) on_event(std::move(e));
    return s.end;
  }
  Result<ApiResponse> Create(const std::string& path, const Json& object) override {
    return Next("POST", path, &object, "");
  }
  Result<ApiResponse> Update(const std::string& path, const Json& object) override {
    return Next("PUT", path, &object, "");
  }
  Result<ApiResponse> Patch(const std::string& path, const Json& patch, PatchType type) override {
    return Next("PATCH", path, &patch, type == PatchType::kStrategicMerge ? "strategic" : "other");
  }
  Result<ApiResponse> Delete(const std::string& path) override {
    return Next("DELETE", path, nullptr, "");
  }
  Result<ApiResponse> Apply(const std::string& path, const Json& config, const std::string& manager,
                            bool force) override {
    return Next("APPLY", path, &config, manager + (force ? "+force" : ""));
  }

 private:
  Result<ApiResponse> Next(const std::string& verb, const std::string& path, const Json* body,
                           const std::string& extra) {
    calls.push_back({verb, path, body ? *body : Json(), extra});
    if (responses.empty()) return ApiResponse{200, body ? *body : Json::object()};
    ApiResponse r = std::move(responses.front());
    responses.pop_front();
    return r;
  }
};

inline Json Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  return Json{{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
}

inline WatchEvent Ev(WatchEventType t, Json o) { return WatchEvent{t, std::move(o)}; }

}  // namespace gt::kube::testing
