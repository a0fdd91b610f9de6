// Flat keyed files: memory.stat, memory.events, cpu.stat, pids.events, oom_control, vmstat,
// and /proc/meminfo.
#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  uint64_t a = 0, b = 0;
  bool seen = false;
  const FlatKeyedField fields[] = {{"anon", &a, &seen}, {"total_cache", &b}, {"oom_kill", nullptr}};
  fuzz::Check(ParseFlatKeyed(text, fuzz::kPath, fields));
  fuzz::Check(ParseVmstat(text, fuzz::kPath));
  fuzz::Check(ParseMeminfo(text, fuzz::kPath));
  return 0;
}
