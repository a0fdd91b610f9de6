// /proc process files: [pid]/stat and task stat, loadavg, cgroup.procs-style id lists,
// [pid]/cgroup.
#include <algorithm>

#include "collectors/parse.h"
#include "tests/collectors/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto stat = ParseProcStat(text, fuzz::kPath);
  fuzz::Check(stat);
  if (stat) {
    // comm must lie inside the input, between its first '(' and its last ')'.
    const char* begin = text.data();
    if (stat->comm.data() < begin || stat->comm.data() + stat->comm.size() > begin + text.size()) {
      std::abort();
    }
    if (stat->comm.data() != begin + text.find('(') + 1) std::abort();
  }
  fuzz::Check(ParseLoadavg(text, fuzz::kPath));
  std::vector<int32_t> ids;
  auto st = ParseIdList(text, fuzz::kPath, ids);
  fuzz::Check(st);
  if (st && !std::is_sorted(ids.begin(), ids.end())) std::abort();
  fuzz::Check(ParseProcCgroup(text, fuzz::kPath, "memory"));
  fuzz::Check(ParseProcCgroup(text, fuzz::kPath, ""));
  return 0;
}
