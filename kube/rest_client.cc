#include "kube/rest_client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <mutex>

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

  std::mutex mu;
  std::shared_ptr<client::http_client> main;
  std::string main_cert;  // the client certificate `main` presents

  Impl(RestConfig c, Clock& k, RestClientOptions o)
      : config(std::move(c)), clock(k), options(std::move(o)) {}

  client::http_client_config ClientConfig(const Credentials& creds,
                                          std::chrono::seconds timeout) const {
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
      return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(),
                       config.server);
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
    const std::string where = config.server + path_and_query;
    for (;;) {
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
      try {
        http::http_response resp = (*cli)->request(req).get();
        status = resp.status_code();
        text = resp.extract_utf8string(true).get();
        if (auto it = resp.headers().find("Retry-After"); it != resp.headers().end()) {
          retry_after = ParseRetryAfter(it->second);
        }
      } catch (const std::exception& e) {
        if (idempotent && read_retries < options.max_read_retries) {
          ++read_retries;
          clock.SleepFor(backoff.Step(options.rand));
          continue;
        }
        return MakeError(ErrorCode::kUnavailable, std::string("request failed: ") + e.what(),
                         where);
      }
      if (status == 401 && !reauthenticated) {
        reauthenticated = true;
        config.credentials->Invalidate(*creds);
        continue;
      }
      if ((status == 429 || status >= 500) && retry_after && retries < options.max_retries) {
        ++retries;
        clock.SleepFor(std::min(*retry_after, options.max_retry_after));
        continue;
      }
      if (status >= 500 && idempotent && read_retries < options.max_read_retries) {
        ++read_retries;
        clock.SleepFor(backoff.Step(options.rand));
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
    const std::string where = config.server + path;

    auto creds = CurrentCredentials();
    if (!creds) return creds.error();
    std::unique_ptr<client::http_client> cli;
    try {
      // Its own client: a watch holds its connection for minutes and must not queue
      // behind, or block, ordinary requests.
      cli = std::make_unique<client::http_client>(
          web::uri(config.server), ClientConfig(*creds, o.timeout + options.watch_grace));
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(),
                       config.server);
    }
    pplx::cancellation_token_source cancel;
    std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });
    try {
      http::http_response resp =
          cli->request(Build(http::methods::GET, q, *creds), cancel.get_token()).get();
      if (resp.status_code() != 200) {
        ApiResponse r;
        r.http_status = resp.status_code();
        const std::string text = resp.extract_utf8string(true).get();
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
          if (stop.stop_requested()) return OkStatus();
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
      if (stop.stop_requested()) return OkStatus();
      return MakeError(ErrorCode::kUnavailable, std::string("watch stream broken: ") + e.what(),
                       where);
    }
  }
};

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::Create(RestConfig config, Clock& clock,
                                                       RestClientOptions options) {
  if (!config.credentials) config.credentials = std::make_shared<StaticCredentials>(Credentials{});
  if (config.server.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalid, "server must be an https:// URL", config.server);
  }
  try {
    web::uri check(config.server);
    (void)check;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalid, std::string("bad server URL: ") + e.what(),
                     config.server);
  }
  return std::unique_ptr<RestClient>(
      new RestClient(std::make_unique<Impl>(std::move(config), clock, std::move(options))));
}

const RestConfig& RestClient::config() const { return impl_->config; }

Result<ApiResponse> RestClient::Get(const std::string& path) {
  return impl_->Do(http::methods::GET, path, nullptr, {});
}

Result<ListResult> RestClient::List(const std::string& path, const ListOptions& o) {
  ListResult out;
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
    auto r = impl_->Do(http::methods::GET, q, nullptr, {});
    if (!r) return r.error();
    if (r->http_status == 410 && !cont.empty()) {
      // The continue token expired mid-list: client-go's pager falls back to one full list.
      out = ListResult{};
      cont.clear();
      paginate = false;
      continue;
    }
    if (!r->ok()) return ToError(*r, impl_->config.server + path);
    Json& body = r->body;
    if (!body.is_object()) {
      return MakeError(ErrorCode::kMalformed, "list answer is not a JSON object",
                       impl_->config.server + path);
    }
    auto items = body.find("items");
    if (items != body.end() && !items->is_null()) {
      if (!items->is_array()) {
        return MakeError(ErrorCode::kMalformed, "list answer's items is not an array",
                         impl_->config.server + path);
      }
      for (auto& item : *items) out.items.push_back(std::move(item));
    }
    std::string next;
    const Json& meta = ObjectField(body, "metadata");
    out.resource_version = StringField(meta, "resourceVersion");
    next = StringField(meta, "continue");
    if (next.empty() || !paginate) return out;
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
