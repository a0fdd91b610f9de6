#include "kube/rest_client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "kube/url.h"
#include "kube/watch_decode.h"

namespace gt::kube {
namespace {

namespace http = web::http;
namespace client = web::http::client;

// Trust exactly the configured roots, as client-go does when a CA is given (cpprestsdk
// loads the system's roots first, which would widen trust).
void ConfigureTls(boost::asio::ssl::context& ctx, const std::string& ca_pem,
                  const std::string& cert_pem, const std::string& key_pem) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (!ca_pem.empty()) {
    X509_STORE* store = X509_STORE_new();
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, x);
      X509_free(x);
    }
    ERR_clear_error();  // the loop ends on "no start line": not an error
    BIO_free(bio);
    SSL_CTX_set_cert_store(native, store);
  }
  if (!cert_pem.empty() && !key_pem.empty()) {
    boost::system::error_code ec;  // PEM was checked when loaded; a failure here shows as 401
    ctx.use_certificate_chain(boost::asio::buffer(cert_pem), ec);
    ctx.use_private_key(boost::asio::buffer(key_pem), boost::asio::ssl::context::pem, ec);
  }
}

std::string ContentTypeOf(PatchType t) {
  switch (t) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
  }
  return "application/merge-patch+json";
}

using SteadyTime = std::chrono::steady_clock::time_point;

// Cancels requests whose deadline has passed, for all of a client's requests on one thread.
class Watchdog {
 public:
  Watchdog() : thread_([this](std::stop_token stop) { Run(stop); }) {}

  // Cancels `source` at `deadline` unless Disarm(id) comes first.
  uint64_t Arm(SteadyTime deadline, pplx::cancellation_token_source source) {
    std::lock_guard lock(mu_);
    const uint64_t id = next_id_++;
    armed_.emplace(id, Entry{deadline, std::move(source)});
    cv_.notify_all();
    return id;
  }
  // True when the deadline had already fired.
  bool Disarm(uint64_t id) {
    std::lock_guard lock(mu_);
    armed_.erase(id);
    return fired_.erase(id) != 0;
  }

 private:
  struct Entry {
    SteadyTime deadline;
    pplx::cancellation_token_source source;
  };

  void Run(std::stop_token stop) {
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      const SteadyTime now = std::chrono::steady_clock::now();
      SteadyTime next = now + std::chrono::hours(1);
      for (auto it = armed_.begin(); it != armed_.end();) {
        if (it->second.deadline <= now) {
          it->second.source.cancel();  // closes the connection: the waiting get() throws
          fired_.insert(it->first);
          it = armed_.erase(it);
        } else {
          next = std::min(next, it->second.deadline);
          ++it;
        }
      }
      const size_t armed = armed_.size();
      const uint64_t ids = next_id_;
      cv_.wait_until(lock, stop, next, [&] { return armed_.size() != armed || next_id_ != ids; });
    }
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<uint64_t, Entry> armed_;
  std::set<uint64_t> fired_;
  uint64_t next_id_ = 0;
  std::jthread thread_;  // last: starts after the members it uses exist
};

// A request's cancellation: by its deadline (through the watchdog) or by the client's
// shutdown, whichever comes first.
class Cancellation {
 public:
  Cancellation(Watchdog& watchdog, SteadyTime deadline, std::stop_token shutdown)
      : watchdog_(watchdog),
        id_(watchdog.Arm(deadline, source_)),
        on_shutdown_(std::move(shutdown), [this] { source_.cancel(); }) {}
  ~Cancellation() { Expired(); }
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  pplx::cancellation_token token() const { return source_.get_token(); }
  void Cancel() { source_.cancel(); }
  // Whether the deadline fired (stops the watch on it).
  bool Expired() {
    if (!disarmed_) {
      disarmed_ = true;
      expired_ = watchdog_.Disarm(id_);
    }
    return expired_;
  }

 private:
  Watchdog& watchdog_;
  pplx::cancellation_token_source source_;
  uint64_t id_;
  std::stop_callback<std::function<void()>> on_shutdown_;
  bool disarmed_ = false;
  bool expired_ = false;
};

std::string MiB(size_t bytes) {
  return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                 : std::to_string(bytes) + " bytes";
}

// The body, read as it arrives and refused once it passes `cap` (cpprestsdk's own extract
// functions buffer all of it first).
Result<std::string> ReadBody(http::http_response& resp, size_t cap, Cancellation& cancel,
                             const std::string& where) {
  const auto too_large = [&] {
    cancel.Cancel();  // stop receiving: the connection is closed
    return MakeError(ErrorCode::kMalformed,
                     "answer body is larger than the " + MiB(cap) + " cap; refused", where);
  };
  if (auto it = resp.headers().find("Content-Length"); it != resp.headers().end()) {
    uint64_t length = 0;
    const std::string& v = it->second;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (ec == std::errc() && end == v.data() + v.size() && length > cap) return too_large();
  }
  auto buf = resp.body().streambuf();
  std::string text;
  std::vector<uint8_t> chunk(64 * 1024);
  for (;;) {
    const size_t avail = buf.in_avail();
    // What is buffered, or block for one byte: getn otherwise waits for the full count.
    const size_t want = avail == 0 ? 1 : std::min(avail, chunk.size());
    const size_t got = buf.getn(chunk.data(), want).get();
    if (got == 0) return text;
    if (text.size() + got > cap) return too_large();
    text.append(reinterpret_cast<const char*>(chunk.data()), got);
  }
}

std::string Seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

std::string AddQuery(std::string path, const std::string& key, const std::string& value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += key;
  path += '=';
  path += web::uri::encode_data_string(value);
  return path;
}

std::string ApiResponse::StatusMessage() const {
  if (body.is_object()) {
    const auto m = body.find("message");
    if (m != body.end() && m->is_string()) return m->get<std::string>();
  }
  return body.is_null() ? std::string() : body.dump().substr(0, 300);
}

std::string ApiResponse::StatusReason() const { return StringField(body, "reason"); }

Error ToError(const ApiResponse& r, const std::string& path) {
  ErrorCode code = ErrorCode::kInvalid;
  if (r.http_status == 401 || r.http_status == 403) code = ErrorCode::kPermission;
  if (r.http_status == 404) code = ErrorCode::kNotFound;
  if (r.http_status == 409) code = ErrorCode::kConflict;
  if (r.http_status == 410) code = ErrorCode::kGone;
  if (r.http_status == 429 || r.http_status >= 500) code = ErrorCode::kUnavailable;
  std::string msg = "HTTP " + std::to_string(r.http_status);
  if (const std::string reason = r.StatusReason(); !reason.empty()) msg += " " + reason;
  if (const std::string m = r.StatusMessage(); !m.empty()) msg += ": " + m;
  return MakeError(code, std::move(msg), path);
}

struct RestClient::Impl {
  RestConfig config;
  Clock& clock;
  RestClientOptions options;
  std::string server;  // config.server without credentials: for messages and logs

  std::mutex mu;
  std::shared_ptr<client::http_client> main;
  std::string main_cert;  // the client certificate `main` presents

  std::stop_source shutdown;
  Watchdog watchdog;

  Impl(RestConfig c, Clock& k, RestClientOptions o)
      : config(std::move(c)), clock(k), options(std::move(o)), server(RedactUrl(config.server)) {}

  Error ShutDown(const std::string& where) const {
    return MakeError(ErrorCode::kUnavailable, "the client is shutting down", where);
  }
  SteadyTime Deadline(std::chrono::milliseconds d) const {
    return std::chrono::steady_clock::now() + d;
  }
  bool Sleep(Duration d) { return SleepUnlessStopped(clock, d, shutdown.get_token()); }

  client::http_client_config ClientConfig(const Credentials& creds,
                                          std::chrono::milliseconds timeout) const {
    client::http_client_config cfg;
    cfg.set_timeout(timeout);
    cfg.set_validate_certificates(!config.insecure_skip_tls_verify);
    cfg.set_ssl_context_callback([ca = config.ca_pem, cert = creds.client_cert_pem,
                                  key = creds.client_key_pem](boost::asio::ssl::context& ctx) {
      ConfigureTls(ctx, ca, cert, key);
    });
    return cfg;
  }

  Result<std::shared_ptr<client::http_client>> MainClient(const Credentials& creds) {
    std::lock_guard lock(mu);
    if (main && main_cert == creds.client_cert_pem) return main;
    try {
      main = std::make_shared<client::http_client>(web::uri(config.server),
                                                   ClientConfig(creds, options.request_timeout));
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(), server);
    }
    main_cert = creds.client_cert_pem;
    return main;
  }

  http::http_request Build(const http::method& method, const std::string& path_and_query,
                           const Credentials& creds) const {
    http::http_request req(method);
    req.set_request_uri(path_and_query);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options.user_agent);
    if (!creds.bearer_token.empty())
      req.headers().add("Authorization", "Bearer " + creds.bearer_token);
    // cpprestsdk verifies the certificate against the Host header's name (and sends it as
    // SNI), so tls-server-name rides there; the API server ignores Host.
    if (!config.tls_server_name.empty()) req.headers().add("Host", config.tls_server_name);
    return req;
  }

  Result<Credentials> CurrentCredentials() {
    auto creds = config.credentials->Current();
    if (!creds) {
      Error e = creds.error();
      e.message = "cannot get credentials: " + e.message;
      return e;
    }
    return creds;
  }

  Result<ApiResponse> Do(const http::method& method, const std::string& path_and_query,
                         const std::string* body, const std::string& content_type) {
    const bool idempotent = method == http::methods::GET;
    bool reauthenticated = false;
    int retries = 0;
    int read_retries = 0;
    Backoff backoff = options.read_backoff;
    const std::string where = server + path_and_query;
    for (;;) {
      if (shutdown.stop_requested()) return ShutDown(where);
      auto creds = CurrentCredentials();
      if (!creds) return creds.error();
      auto cli = MainClient(*creds);
      if (!cli) return cli.error();
      http::http_request req;
      try {
        req = Build(method, path_and_query, *creds);
        if (body != nullptr) {
          // Bytes, not set_body(std::string): that overload reinterprets a char buffer as an
          // unsigned char one inside cpprestsdk (undefined behaviour UBSan reports).
          std::vector<uint8_t> bytes(body->begin(), body->end());
          const auto size = bytes.size();
          req.set_body(concurrency::streams::bytestream::open_istream(std::move(bytes)), size,
                       content_type);
        }
      } catch (const std::exception& e) {
        return MakeError(ErrorCode::kInvalid, std::string("cannot build request: ") + e.what(),
                         where);
      }
      int status = 0;
      std::string text;
      std::optional<std::chrono::seconds> retry_after;
      std::string failure;
      {
        Cancellation cancel(watchdog, Deadline(options.request_timeout), shutdown.get_token());
        try {
          http::http_response resp = (*cli)->request(req, cancel.token()).get();
          status = resp.status_code();
          if (auto it = resp.headers().find("Retry-After"); it != resp.headers().end()) {
            retry_after = ParseRetryAfter(it->second);
          }
          auto body = ReadBody(resp, options.max_body_bytes, cancel, where);
          if (!body) return body.error();
          text = std::move(*body);
        } catch (const std::exception& e) {
          failure = cancel.Expired() ? "no complete answer within the " +
                                           Seconds(options.request_timeout) + " request deadline"
                                     : std::string("request failed: ") + e.what();
        }
      }
      if (shutdown.stop_requested()) return ShutDown(where);
      if (!failure.empty()) {
        if (idempotent && read_retries < options.max_read_retries) {
          ++read_retries;
          if (!Sleep(backoff.Step(options.rand))) return ShutDown(where);
          continue;
        }
        return MakeError(ErrorCode::kUnavailable, failure, where);
      }
      if (status == 401 && !reauthenticated) {
        reauthenticated = true;
        config.credentials->Invalidate(*creds);
        continue;
      }
      if ((status == 429 || status >= 500) && retry_after && retries < options.max_retries) {
        ++retries;
        if (!Sleep(std::min(*retry_after, options.max_retry_after))) return ShutDown(where);
        continue;
      }
      if (status >= 500 && idempotent && read_retries < options.max_read_retries) {
        ++read_retries;
        if (!Sleep(backoff.Step(options.rand))) return ShutDown(where);
        continue;
      }
      ApiResponse r;
      r.http_status = status;
      if (!text.empty()) {
        r.body = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (r.body.is_discarded()) {
          if (r.ok()) {
            return MakeError(
                ErrorCode::kMalformed,
                "HTTP " + std::to_string(status) + " answer is not JSON: " + text.substr(0, 120),
                where);
          }
          r.body = Json{{"message", text.substr(0, 300)}};
        }
      }
      return r;
    }
  }

  Status Watch(const std::string& path, const WatchOptions& o, const WatchHandler& on_event,
               std::stop_token stop) {
    std::string q = AddQuery(path, "watch", "true");
    if (o.allow_bookmarks) q = AddQuery(q, "allowWatchBookmarks", "true");
    if (!o.resource_version.empty()) q = AddQuery(q, "resourceVersion", o.resource_version);
    q = AddQuery(q, "timeoutSeconds", std::to_string(o.timeout.count()));
    if (!o.label_selector.empty()) q = AddQuery(q, "labelSelector", o.label_selector);
    if (!o.field_selector.empty()) q = AddQuery(q, "fieldSelector", o.field_selector);
    const std::string where = server + path;

    if (shutdown.stop_requested()) return ShutDown(where);
    auto creds = CurrentCredentials();
    if (!creds) return creds.error();
    std::unique_ptr<client::http_client> cli;
    try {
      // Its own client: a watch holds its connection for minutes and must not queue
      // behind, or block, ordinary requests.
      cli = std::make_unique<client::http_client>(
          web::uri(config.server), ClientConfig(*creds, o.timeout + options.watch_grace));
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(), server);
    }
    // The server ends the watch at timeoutSeconds; one that does not (a trickle of bytes
    // keeps cpprestsdk's per-read timeout from firing) is cut after the grace.
    const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(o.timeout) +
                       std::chrono::duration_cast<std::chrono::milliseconds>(options.watch_grace);
    Cancellation cancel(watchdog, Deadline(limit), shutdown.get_token());
    std::stop_callback on_stop(stop, [&cancel] { cancel.Cancel(); });
    const auto broken = [&](const std::string& why) -> Status {
      if (stop.stop_requested()) return OkStatus();
      if (shutdown.stop_requested()) return ShutDown(where);
      if (cancel.Expired()) {
        return MakeError(ErrorCode::kUnavailable,
                         "watch not ended by the server within its timeout plus " +
                             Seconds(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 options.watch_grace)) +
                             " grace",
                         where);
      }
      return MakeError(ErrorCode::kUnavailable, why, where);
    };
    try {
      http::http_response resp =
          cli->request(Build(http::methods::GET, q, *creds), cancel.token()).get();
      if (resp.status_code() != 200) {
        ApiResponse r;
        r.http_status = resp.status_code();
        auto body = ReadBody(resp, options.max_body_bytes, cancel, where);
        if (!body) return body.error();
        const std::string& text = *body;
        r.body = Json::parse(text, nullptr, false);
        if (r.body.is_discarded()) r.body = Json{{"message", text.substr(0, 300)}};
        if (r.http_status == 401) config.credentials->Invalidate(*creds);
        return ToError(r, where);
      }
      auto buf = resp.body().streambuf();
      LineSplitter lines;
      std::vector<uint8_t> chunk(64 * 1024);
      const auto on_line = [&](std::string_view line) -> Status {
        auto ev = DecodeWatchEvent(line);
        if (!ev) {
          Error e = ev.error();
          e.path = where;
          return e;
        }
        if (ev->type == WatchEventType::kError) {
          ApiResponse r{ErrorEventCode(*ev), ev->object};
          if (IsResourceExpired(*ev)) r.http_status = 410;
          Error e = ToError(r, where);
          if (!IsResourceExpired(*ev)) e.code = ErrorCode::kUnavailable;
          return e;
        }
        on_event(std::move(*ev));
        return OkStatus();
      };
      for (;;) {
        if (stop.stop_requested()) return OkStatus();
        const size_t avail = buf.in_avail();
        // Ask for what is buffered, or block for one byte: getn otherwise waits for the full count.
        const size_t want = avail == 0 ? 1 : std::min(avail, chunk.size());
        const size_t got = buf.getn(chunk.data(), want).get();
        if (got == 0) {
          if (stop.stop_requested() || shutdown.stop_requested() || cancel.Expired()) {
            return broken("watch stream ended");
          }
          if (lines.has_partial()) {
            return MakeError(ErrorCode::kUnavailable, "watch stream ended inside an event", where);
          }
          return OkStatus();  // the server ended the watch (timeoutSeconds): watch again
        }
        Status st =
            lines.Feed(std::string_view(reinterpret_cast<const char*>(chunk.data()), got), on_line);
        if (!st) return st;
      }
    } catch (const std::exception& e) {
      return broken(std::string("watch stream broken: ") + e.what());
    }
  }
};

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::Create(RestConfig config, Clock& clock,
                                                       RestClientOptions options) {
  if (!config.credentials) config.credentials = std::make_shared<StaticCredentials>(Credentials{});
  if (Status url = CheckServerUrl(config.server); !url) return url.error();
  try {
    web::uri check(config.server);
    (void)check;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(),
                     RedactUrl(config.server));
  }
  return std::unique_ptr<RestClient>(
      new RestClient(std::make_unique<Impl>(std::move(config), clock, std::move(options))));
}

const RestConfig& RestClient::config() const { return impl_->config; }

void RestClient::Shutdown() {
  impl_->shutdown.request_stop();
  impl_->config.credentials->Shutdown();
}

Result<ApiResponse> RestClient::Get(const std::string& path) {
  return impl_->Do(http::methods::GET, path, nullptr, {});
}

Result<ListResult> RestClient::List(const std::string& path, const ListOptions& o) {
  ListResult out;
  ListSink sink;
  sink.on_item = [&out](Json&& item) { out.items.push_back(std::move(item)); };
  sink.on_restart = [&out] { out.items.clear(); };
  auto version = ListEach(path, o, sink);
  if (!version) return version.error();
  out.resource_version = std::move(*version);
  return out;
}

Result<std::string> RestClient::ListEach(const std::string& path, const ListOptions& o,
                                         const ListSink& sink) {
  std::string cont;
  bool paginate = o.limit > 0;
  for (;;) {
    std::string q = path;
    if (paginate) q = AddQuery(q, "limit", std::to_string(o.limit));
    if (!cont.empty()) {
      q = AddQuery(q, "continue", cont);
    } else if (!o.resource_version.empty()) {
      q = AddQuery(q, "resourceVersion", o.resource_version);
    }
    if (!o.label_selector.empty()) q = AddQuery(q, "labelSelector", o.label_selector);
    if (!o.field_selector.empty()) q = AddQuery(q, "fieldSelector", o.field_selector);
    // One page at a time: its text is gone once parsed, its parse once its items are handed
    // on, both before the next page is asked for.
    auto r = impl_->Do(http::methods::GET, q, nullptr, {});
    if (!r) return r.error();
    if (r->http_status == 410 && !cont.empty()) {
      // The continue token expired mid-list: client-go's pager falls back to one full list.
      if (sink.on_restart) sink.on_restart();
      cont.clear();
      paginate = false;
      continue;
    }
    if (!r->ok()) return ToError(*r, impl_->server + path);
    Json& body = r->body;
    if (!body.is_object()) {
      return MakeError(ErrorCode::kMalformed, "list answer is not a JSON object",
                       impl_->server + path);
    }
    auto items = body.find("items");
    if (items != body.end() && !items->is_null()) {
      if (!items->is_array()) {
        return MakeError(ErrorCode::kMalformed, "list answer's items is not an array",
                         impl_->server + path);
      }
      for (auto& item : *items) {
        Json taken = std::move(item);  // what the caller does not keep is freed at once
        if (sink.on_item) sink.on_item(std::move(taken));
      }
    }
    const Json& meta = ObjectField(body, "metadata");
    std::string version = StringField(meta, "resourceVersion");
    std::string next = StringField(meta, "continue");
    if (next.empty() || !paginate) return version;
    cont = std::move(next);
  }
}

Status RestClient::Watch(const std::string& path, const WatchOptions& options,
                         const WatchHandler& on_event, std::stop_token stop) {
  return impl_->Watch(path, options, on_event, std::move(stop));
}

Result<ApiResponse> RestClient::Create(const std::string& path, const Json& object) {
  const std::string body = object.dump();
  return impl_->Do(http::methods::POST, path, &body, "application/json");
}

Result<ApiResponse> RestClient::Update(const std::string& path, const Json& object) {
  const std::string body = object.dump();
  return impl_->Do(http::methods::PUT, path, &body, "application/json");
}

Result<ApiResponse> RestClient::Patch(const std::string& path, const Json& patch, PatchType type) {
  const std::string body = patch.dump();
  return impl_->Do(http::methods::PATCH, path, &body, ContentTypeOf(type));
}

Result<ApiResponse> RestClient::Delete(const std::string& path) {
  return impl_->Do(http::methods::DEL, path, nullptr, {});
}

Result<ApiResponse> RestClient::Apply(const std::string& path, const Json& config,
                                      const std::string& field_manager, bool force) {
  std::string q = AddQuery(path, "fieldManager", field_manager);
  if (force) q = AddQuery(q, "force", "true");
  const std::string body = config.dump();
  return impl_->Do(http::methods::PATCH, q, &body, "application/apply-patch+yaml");
}

}  // namespace gt::kube
