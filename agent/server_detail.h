// The agent endpoint's request handling without a connection (server.h holds the server),
// so tests and fuzz targets reach what a client's bytes decide: the route, the `since`
// cursor and whether the reply is gzipped.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string_view>

#include "agent/metrics.h"
#include "agent/ring.h"
#include "agent/server.h"
#include "common/clock.h"
#include "common/result.h"

namespace gt::agent::detail {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// `since` from a query string "since=<n>&...": absent -> 0; not an unsigned integer -> error.
Result<uint64_t> SinceParameter(std::string_view query);

// Whether an Accept-Encoding header value lets the reply be gzip-coded.
bool AcceptsGzip(std::string_view accept_encoding);

// The reply a connection would write for `request` (before keep-alive is set).
Response Answer(const ServerOptions& options, const Ring& ring, AgentMetrics& metrics,
                const Clock& clock, const ServedNode& node, const Request& request);

}  // namespace gt::agent::detail
