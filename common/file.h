// Reading the small files a user points a process at (kubeconfig, tokens, certificates, keys,
// policy files) without trusting what they are.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace gt {

// Reads a whole regular file of at most `max_bytes`. Anything else is refused with an error
// naming the path: a device such as /dev/zero (endless), a FIFO (opening it would wait for a
// writer forever), a directory, a file larger than the cap or growing past it while read.
Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes);

}  // namespace gt
