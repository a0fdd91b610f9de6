// The narrow Kubernetes API surface the controller needs. RestClient implements it over
// HTTPS; tests implement it with fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "common/result.h"

namespace gt::kube {

using Json = nlohmann::json;

// Field readers that never throw (nlohmann's value() does on a mistyped field, and a
// server or a peer can send anything): missing or mistyped reads as empty / fallback.
std::string StringField(const Json& object, const char* key);
int64_t IntField(const Json& object, const char* key, int64_t fallback = 0);
const Json& ObjectField(const Json& object, const char* key);  // an empty object unless one

// What the API server answered: 2xx with the object, or another code with a metav1.Status.
struct ApiResponse {
  int http_status = 0;
  Json body;

  bool ok() const { return http_status >= 200 && http_status < 300; }
  bool conflict() const { return http_status == 409; }
  bool not_found() const { return http_status == 404; }
  std::string StatusMessage() const;  // metav1.Status message, or the body's text
  std::string StatusReason() const;   // metav1.Status reason (Conflict, AlreadyExists, Expired...)
};

// A non-2xx answer as an Error: 401/403 kPermission, 404 kNotFound, 409 kConflict,
// 410 kGone, 429/5xx kUnavailable, other 4xx kInvalid. `path` is the request path.
Error ToError(const ApiResponse& r, const std::string& path);

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 500;  // page size; client-go's pager default
  std::string resource_version;
};

struct ListResult {
  std::vector<Json> items;
  std::string resource_version;  // of the list: where a watch continues from
};

// Takes a list as it arrives, page by page, so that a caller keeps only what it needs of each
// item: a page's text and parse are freed before the next page is asked for, and memory
// follows what is kept, not what the server sent.
struct ListSink {
  // Each item of each page, in the server's order.
  std::function<void(Json&& item)> on_item;
  // The list starts over from the beginning (a continue token expired and the client falls
  // back to one unpaginated list): forget the items received so far.
  std::function<void()> on_restart;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* WatchEventTypeName(WatchEventType t);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  Json object;  // the object; for kBookmark only metadata.resourceVersion; for kError a Status
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  std::chrono::seconds timeout{300};  // server-side timeoutSeconds: the watch ends cleanly
  bool allow_bookmarks = true;
};

using WatchHandler = std::function<void(WatchEvent&&)>;

enum class PatchType { kMerge, kStrategicMerge, kJson };

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual Result<ApiResponse> Get(const std::string& path) = 0;
  // Follows `continue` tokens to the end; restarts unpaginated if a token expires (410).
  virtual Result<ListResult> List(const std::string& path, const ListOptions& options) = 0;
  // The same list, handed to `sink` page by page as the pages arrive; returns the list's
  // resourceVersion. The default collects List(): clients that page (RestClient) override it.
  virtual Result<std::string> ListEach(const std::string& path, const ListOptions& options,
                                       const ListSink& sink);
  // Blocks on the caller's thread, calling `on_event` for each event, until: the server ends
  // the watch (Ok), `stop` is requested (Ok), the connection fails (kUnavailable), or the
  // resource version is too old (kGone: relist). Bookmarks are delivered too.
  virtual Status Watch(const std::string& path, const WatchOptions& options,
                       const WatchHandler& on_event, std::stop_token stop) = 0;
  virtual Result<ApiResponse> Create(const std::string& path, const Json& object) = 0;
  // PUT: carries metadata.resourceVersion, so a concurrent write answers 409.
  virtual Result<ApiResponse> Update(const std::string& path, const Json& object) = 0;
  virtual Result<ApiResponse> Patch(const std::string& path, const Json& patch, PatchType type) = 0;
  // Foreground deletion is the caller's business (a body with propagationPolicy); this is
  // the plain DELETE.
  virtual Result<ApiResponse> Delete(const std::string& path) = 0;
  // Server-side apply (application/apply-patch+yaml; JSON is valid YAML).
  virtual Result<ApiResponse> Apply(const std::string& path, const Json& config,
                                    const std::string& field_manager, bool force) = 0;
};

}  // namespace gt::kube
