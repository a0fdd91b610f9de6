// Everything the client decodes from a peer: watch lines in arbitrary chunks, ExecCredential
// output, timestamps, base64. None of it may crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/base64.h"
#include "kube/exec_plugin.h"
#include "kube/informer.h"
#include "kube/time_format.h"
#include "kube/watch_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::kube;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  LineSplitter lines(1 << 16);
  const size_t cut = size == 0 ? 0 : data[0] % size;
  const auto on_line = [](std::string_view line) -> gt::Status {
    auto ev = DecodeWatchEvent(line);
    if (ev) {
      (void)ErrorEventCode(*ev);
      (void)IsResourceExpired(*ev);
      (void)ObjectKey(ev->object);
      (void)StringField(ObjectField(ev->object, "metadata"), "resourceVersion");
    }
    return gt::OkStatus();
  };
  (void)lines.Feed(in.substr(0, cut), on_line);
  (void)lines.Feed(in.substr(cut), on_line);
  (void)ParseExecCredential(in, "client.authentication.k8s.io/v1", "fuzz");
  (void)ParseTime(in);
  (void)Base64Decode(in);
  return 0;
}
