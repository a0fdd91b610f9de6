// Single-value files: memory.current/max, pids.max, v1 limit_in_bytes, cfs_quota_us, cpu.max.
#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::Check(ParseNumber(text, fuzz::kPath));
  fuzz::Check(ParseMaxOrNumber(text, fuzz::kPath));
  auto v1 = ParseV1MemoryLimit(text, fuzz::kPath);
  fuzz::Check(v1);
  if (v1 && v1->has_value() && **v1 >= (uint64_t{1} << 62)) std::abort();
  fuzz::Check(ParseV1CfsQuota(text, fuzz::kPath));
  fuzz::Check(ParseCpuMax(text, fuzz::kPath));
  return 0;
}
