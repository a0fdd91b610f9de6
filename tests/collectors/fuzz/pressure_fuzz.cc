// PSI files: memory.pressure, cpu.pressure, io.pressure, /proc/pressure/*.
#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::Check(ParsePressure(text, fuzz::kPath));
  return 0;
}
