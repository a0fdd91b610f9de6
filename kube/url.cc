#include "kube/url.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <string_view>

namespace gt::kube {
namespace {

constexpr std::string_view kScheme = "https://";

// [scheme][authority][rest]: the authority ends at the first '/', '?' or '#'.
struct UrlParts {
  std::string_view authority;
  std::string_view rest;
};

UrlParts Split(std::string_view url) {
  url.remove_prefix(kScheme.size());
  const size_t end = url.find_first_of("/?#");
  if (end == std::string_view::npos) return {url, {}};
  return {url.substr(0, end), url.substr(end)};
}

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

Status Bad(const std::string& url, const std::string& why) {
  return MakeError(ErrorCode::kInvalid, "bad server URL: " + why, RedactUrl(url));
}

Status CheckPort(const std::string& url, std::string_view port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return Bad(url, "port \"" + std::string(port) + "\" is not a number from 1 to 65535");
  }
  return OkStatus();
}

}  // namespace

std::string RedactUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host_start = scheme + 3;
  const size_t authority_end = url.find_first_of("/?#", host_start);
  const size_t at = url.rfind('@', authority_end == std::string::npos ? url.npos : authority_end);
  if (at == std::string::npos || at < host_start) return url;
  return url.substr(0, host_start) + "REDACTED" + url.substr(at);
}

Status CheckServerUrl(const std::string& url) {
  for (const char c : url) {
    if (std::iscntrl(static_cast<unsigned char>(c)) != 0 || c == ' ') {
      return Bad(url, "contains a space or control character");
    }
  }
  if (url.rfind(kScheme, 0) != 0) return Bad(url, "must start with https://");
  const UrlParts parts = Split(url);
  if (!parts.rest.empty() && parts.rest.front() != '/') {
    return Bad(url, "a query or fragment is not allowed");
  }
  if (parts.rest.find_first_of("?#") != std::string_view::npos) {
    return Bad(url, "a query or fragment is not allowed");
  }
  std::string_view host_port = parts.authority;
  if (const size_t at = host_port.rfind('@'); at != std::string_view::npos) {
    host_port.remove_prefix(at + 1);
  }
  if (host_port.empty()) return Bad(url, "no host");
  if (host_port.front() == '[') {
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos) return Bad(url, "IPv6 address without a closing ']'");
    const std::string address(host_port.substr(1, close - 1));
    in6_addr parsed{};
    if (inet_pton(AF_INET6, address.c_str(), &parsed) != 1) {
      return Bad(url, "\"" + address + "\" is not an IPv6 address");
    }
    const std::string_view after = host_port.substr(close + 1);
    if (after.empty()) return OkStatus();
    if (after.front() != ':') return Bad(url, "unexpected text after the IPv6 address");
    return CheckPort(url, after.substr(1));
  }
  std::string_view host = host_port;
  if (const size_t colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    if (Status port = CheckPort(url, host_port.substr(colon + 1)); !port) return port;
  }
  if (host.empty()) return Bad(url, "no host");
  for (const char c : host) {
    if (!IsHostNameChar(c)) {
      return Bad(url, "host \"" + std::string(host) + "\" is not a DNS name or IP address");
    }
  }
  return OkStatus();
}

}  // namespace gt::kube
