// Network namespace counters: [pid]/net/snmp and [pid]/net/dev.
#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::Check(ParseNetSnmp(text, fuzz::kPath));
  fuzz::Check(ParseNetDev(text, fuzz::kPath));
  return 0;
}
