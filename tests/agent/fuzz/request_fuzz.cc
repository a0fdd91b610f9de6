// The agent's request handling as a client's bytes reach it after TLS: the HTTP/1.1 request
// parsed with the server's limits (8 KiB of header, no body), then routed and answered
// (detail::Answer), plus the `since` cursor and Accept-Encoding on their own. Never a crash,
// leak or hang; every answer has one of the statuses the endpoint documents; `since` is
// accepted only as digits; a reply is gzip-coded only when the client's Accept-Encoding
// allows gzip by RFC 9110 section 12.5.3. Seeds (seeds/request) are requests in RFC 9112's
// message syntax for the three routes of agent/server.h.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/server_detail.h"

namespace {

namespace http = boost::beast::http;
using namespace gt::agent;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 section 12.5.3, written plainly: codings separated by commas, each with optional
// ";q=" weight (qvalue = 0[.ddd] / 1[.000]); gzip (or x-gzip) is acceptable when listed with
// a weight above 0, or, when not listed, when "*" is.
bool ReferenceAcceptsGzip(std::string_view header) {
  int gzip = -1, any = -1;  // -1 not listed, 0 refused, 1 accepted
  while (true) {
    const size_t comma = header.find(',');
    std::string_view element = header.substr(0, comma);
    const size_t semi = element.find(';');
    const std::string coding = Lower(Trim(element.substr(0, semi)));
    bool positive = true;
    if (semi != std::string_view::npos) {
      std::string_view params = element.substr(semi + 1);
      while (true) {
        const size_t next = params.find(';');
        const std::string_view param = Trim(params.substr(0, next));
        if (param.size() >= 2 && Lower(param.substr(0, 2)) == "q=") {
          const std::string_view q = param.substr(2);
          bool valid = !q.empty() && (q[0] == '0' || q[0] == '1') &&
                       (q.size() == 1 || (q[1] == '.' && q.size() <= 5));
          bool nonzero = q.substr(0, 1) == "1";
          for (size_t i = 2; valid && i < q.size(); i++) {
            valid = q[i] >= '0' && q[i] <= '9' && (q[0] == '0' || q[i] == '0');
            nonzero = nonzero || q[i] != '0';
          }
          positive = valid && nonzero;
          break;  // the weight is the first q parameter; a second one is not a weight
        }
        if (next == std::string_view::npos) break;
        params = params.substr(next + 1);
      }
    }
    if (coding == "gzip" || coding == "x-gzip") gzip = std::max(gzip, positive ? 1 : 0);
    if (coding == "*") any = std::max(any, positive ? 1 : 0);
    if (comma == std::string_view::npos) break;
    header = header.substr(comma + 1);
  }
  return gzip >= 0 ? gzip == 1 : any == 1;
}

struct Served {
  ServerOptions options;
  Ring ring{RingLimits{}};
  AgentMetrics metrics;
  gt::FakeClock clock;
  ServedNode node;

  Served() {
    node.identity.name = "fuzz-node";
    for (uint64_t seq = 1; seq <= 3; seq++) {
      const std::string json = "{\"seq\":" + std::to_string(seq) + ",\"pods\":[]}";
      auto sample = StoredSample::Compress(seq, clock.Monotonic(), json);
      if (!sample || !ring.Append(*sample)) std::abort();
    }
    metrics.last_sample_monotonic_ns = clock.Monotonic().count();
  }
};

void CheckSince(std::string_view query) {
  const auto since = detail::SinceParameter(query);
  if (!since) return;
  // Accepted: the first since= parameter, if any, is all digits.
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (param.substr(0, 6) == "since=") {
      const std::string_view value = param.substr(6);
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
        std::abort();
      }
      return;
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  if (*since != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Served served;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckSince(in);
  // A header value is one line (RFC 9112 section 5.2 has no line folding in requests).
  if (in.find_first_of("\r\n") == std::string_view::npos && detail::AcceptsGzip(in) &&
      !ReferenceAcceptsGzip(in)) {
    std::abort();
  }

  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(served.options.max_request_header_bytes));
  parser.body_limit(served.options.max_request_body_bytes);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < size && !parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;  // the server refuses it (400, 413, 431) before routing
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // The connection ends here: as http::async_read, end of stream before any byte is no
    // request at all, and after some bytes it completes a message only if framing allows.
    if (!parser.got_some()) return 0;
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  const detail::Request& request = parser.get();
  const detail::Response response = detail::Answer(served.options, served.ring, served.metrics,
                                                   served.clock, served.node, request);
  switch (response.result_int()) {
    case 200:
    case 400:
    case 404:
    case 405:
    case 429:  // beyond the reply budget: a valid answer
    case 503:
      break;
    default:
      std::abort();
  }
  if (response[http::field::content_encoding] == "gzip") {
    const auto accept = request.find(http::field::accept_encoding);
    if (accept == request.end() ||
        !ReferenceAcceptsGzip(std::string_view(accept->value().data(), accept->value().size()))) {
      std::abort();
    }
  }
  return 0;
}
