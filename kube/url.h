// Checking an API server URL when it is configured, so that a typo is refused at start with
// the reason instead of failing every request forever, and printing it without credentials.
#pragma once

#include <string>

#include "common/result.h"

namespace gt::kube {

// https://host[:port][/path] where host is a DNS name, an IPv4 address or a bracketed IPv6
// address, the port (if any) is 1-65535, and nothing is a control character or space.
// user:password@ before the host is accepted (and never printed: see RedactUrl).
Status CheckServerUrl(const std::string& url);

// The URL with any user:password@ replaced by "REDACTED@", for logs and error messages.
std::string RedactUrl(const std::string& url);

}  // namespace gt::kube
