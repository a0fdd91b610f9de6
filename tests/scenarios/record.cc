#include "tests/scenarios/record.h"

#include <fstream>

#include "wire/samples.h"

namespace gt::scenarios {

Result<Recorded> ReadRecord(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot open the record", path);
  Recorded out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    number++;
    if (line.empty()) continue;
    // Each line is one sample as the agent serves it: wrap it in the envelope so that the
    // controller's own decoder reads it.
    const std::string envelope = "{\"apiVersion\":\"" + std::string(wire::kApiVersion) +
                                 "\",\"node\":{\"name\":\"run\"},\"cursor\":0,\"samples\":[" +
                                 line + "]}";
    Result<wire::SamplesResponse> decoded = wire::DecodeSamplesResponse(envelope);
    if (!decoded) {
      return MakeError(ErrorCode::kMalformed,
                       "line " + std::to_string(number) + ": " + decoded.error().message, path);
    }
    for (const wire::Sample& s : decoded->samples) {
      if (s.pods.empty() || s.pods[0].containers.empty()) continue;
      out.cgroup.push_back(s.pods[0].containers[0].reading);
      if (s.node.time.count() != 0) out.node.push_back(s.node);
    }
  }
  return out;
}

}  // namespace gt::scenarios
