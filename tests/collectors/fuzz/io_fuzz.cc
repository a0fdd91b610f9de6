// I/O counters: v2 io.stat, v1 blkio.throttle.io_service_bytes / io_serviced.
#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::Check(ParseIoStat(text, fuzz::kPath));
  fuzz::Check(ParseV1Blkio(text, fuzz::kPath));
  return 0;
}
