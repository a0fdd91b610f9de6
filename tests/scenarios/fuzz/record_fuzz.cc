// A scenario's `groundtruth run --record` file as the verdict-quality row reads it back
// (ReadRecord, record.h): any bytes give the readings or an error naming the file and line;
// never a crash, throw or leak. Seeds (seeds/): one sample per line in the agent wire format
// v1 (wire/samples.h: {"seq","monotonicNs","node","pods":[{"uid","reading","containers"}]}).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz_scratch.h"
#include "tests/scenarios/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gt::fuzz::ScratchDir().Write(
      "record.jsonl", std::string_view(reinterpret_cast<const char*>(data), size));
  const auto record = gt::scenarios::ReadRecord(path);
  if (record) {
    if (record->node.size() > record->cgroup.size()) std::abort();  // node rows ride along
  } else if (record.error().path != path || record.error().code != gt::ErrorCode::kMalformed) {
    std::abort();
  }
  return 0;
}
