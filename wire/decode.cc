// Strict about types, lenient about unknown and missing fields (see samples.h). The first
// wrong field ends decoding with an error that names its JSON path.
#include <limits>
#include <nlohmann/json.hpp>

#include "wire/samples.h"

namespace gt::wire {
namespace {

using nlohmann::json;

// Nesting deeper than the format ever needs is refused before parsing, so hostile input
// cannot make the parser or the document's destructor recurse without bound.
constexpr int kMaxDepth = 32;

bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// A JSON path built on the stack as decoding descends; turned into text only on error.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // empty for an array index
  size_t index = 0;

  Path Field(std::string_view k) const { return Path{this, k, 0}; }
  Path At(size_t i) const { return Path{this, {}, i}; }

  std::string ToString() const {
    std::string parent_text = parent ? parent->ToString() : std::string();
    if (parent == nullptr) return std::string(key);  // the root has no name
    if (key.empty()) return parent_text + "[" + std::to_string(index) + "]";
    if (parent_text.empty()) return std::string(key);
    return parent_text + "." + std::string(key);
  }
};

class Decoder {
 public:
  const std::optional<Error>& error() const { return error_; }

  bool Fail(const Path& path, std::string_view what) {
    if (!error_) {
      std::string where = path.ToString();
      error_ = MakeError(ErrorCode::kMalformed,
                         (where.empty() ? std::string() : where + ": ") + std::string(what));
    }
    return false;
  }

  // Absent -> nullptr (and no error); present but not an object -> error.
  const json* Object(const json& parent, const Path& path, std::string_view key, bool required) {
    auto it = parent.find(key);
    if (it == parent.end() || (!required && it->is_null())) {
      if (required) Fail(path.Field(key), "required field missing");
      return nullptr;
    }
    if (!it->is_object()) {
      Fail(path.Field(key), "expected object");
      return nullptr;
    }
    return &*it;
  }

  // Absent -> empty (no error unless required); present but not an array -> error.
  const json* Array(const json& parent, const Path& path, std::string_view key, bool required) {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) Fail(path.Field(key), "required field missing");
      return nullptr;
    }
    if (!it->is_array()) {
      Fail(path.Field(key), "expected array");
      return nullptr;
    }
    return &*it;
  }

  bool Uint(const json& obj, const Path& path, std::string_view key, uint64_t& out,
            bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) return required ? Fail(path.Field(key), "required field missing") : true;
    if (!it->is_number_unsigned()) return Fail(path.Field(key), "expected unsigned integer");
    out = it->get<uint64_t>();
    return true;
  }

  bool Uint32(const json& obj, const Path& path, std::string_view key, uint32_t& out) {
    uint64_t v = out;
    if (!Uint(obj, path, key, v)) return false;
    if (v > std::numeric_limits<uint32_t>::max()) {
      return Fail(path.Field(key), "unsigned integer out of range");
    }
    out = static_cast<uint32_t>(v);
    return true;
  }

  bool Int32(const json& obj, const Path& path, std::string_view key, int32_t& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_number_integer()) return Fail(path.Field(key), "expected integer");
    if (it->is_number_unsigned()) {
      if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        return Fail(path.Field(key), "integer out of range");
      }
    } else {
      int64_t v = it->get<int64_t>();
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
        return Fail(path.Field(key), "integer out of range");
      }
    }
    out = it->get<int32_t>();
    return true;
  }

  bool OptUint(const json& obj, const Path& path, std::string_view key,
               std::optional<uint64_t>& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      out.reset();
      return true;
    }
    if (!it->is_number_unsigned()) return Fail(path.Field(key), "expected unsigned integer");
    out = it->get<uint64_t>();
    return true;
  }

  // Monotonic nanoseconds since boot: an unsigned integer that fits the signed duration.
  bool Monotonic(const json& obj, const Path& path, std::string_view key, MonotonicTime& out,
                 bool required) {
    uint64_t ns = 0;
    if (!Uint(obj, path, key, ns, required)) return false;
    if (ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(path.Field(key), "unsigned integer out of range");
    }
    out = MonotonicTime(static_cast<int64_t>(ns));
    return true;
  }

  bool Double(const json& obj, const Path& path, std::string_view key, double& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_number()) return Fail(path.Field(key), "expected number");
    out = it->get<double>();
    return true;
  }

  bool String(const json& obj, const Path& path, std::string_view key, std::string& out,
              bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) return required ? Fail(path.Field(key), "required field missing") : true;
    if (!it->is_string()) return Fail(path.Field(key), "expected string");
    out = it->get_ref<const std::string&>();
    return true;
  }

  bool Bool(const json& obj, const Path& path, std::string_view key, bool& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_boolean()) return Fail(path.Field(key), "expected boolean");
    out = it->get<bool>();
    return true;
  }

  bool PressureLineAt(const json& obj, const Path& path, PressureLine& out) {
    return Double(obj, path, "avg10", out.avg10) && Double(obj, path, "avg60", out.avg60) &&
           Double(obj, path, "avg300", out.avg300) && Uint(obj, path, "totalUs", out.total_us);
  }

  bool PressureAt(const json& parent, const Path& parent_path, std::string_view key,
                  std::optional<Pressure>& out) {
    out.reset();
    const json* p = Object(parent, parent_path, key, false);
    if (p == nullptr) return !error_;
    Path path = parent_path.Field(key);
    Pressure pressure;
    const json* some = Object(*p, path, "some", true);
    if (some == nullptr || !PressureLineAt(*some, path.Field("some"), pressure.some)) return false;
    const json* full = Object(*p, path, "full", false);
    if (error_) return false;
    if (full != nullptr) {
      pressure.full.emplace();
      if (!PressureLineAt(*full, path.Field("full"), *pressure.full)) return false;
    }
    out = pressure;
    return true;
  }

  bool Memory(const json& obj, const Path& path, MemoryReading& m) {
    return Uint(obj, path, "usageBytes", m.usage_bytes) &&
           OptUint(obj, path, "limitBytes", m.limit_bytes) &&
           OptUint(obj, path, "highBytes", m.high_bytes) &&
           OptUint(obj, path, "peakBytes", m.peak_bytes) &&
           Uint(obj, path, "anonBytes", m.anon_bytes) &&
           Uint(obj, path, "fileBytes", m.file_bytes) &&
           Uint(obj, path, "activeFileBytes", m.active_file_bytes) &&
           Uint(obj, path, "inactiveFileBytes", m.inactive_file_bytes) &&
           OptUint(obj, path, "swapUsageBytes", m.swap_usage_bytes) &&
           OptUint(obj, path, "swapLimitBytes", m.swap_limit_bytes) &&
           Uint(obj, path, "pgfault", m.pgfault) && Uint(obj, path, "pgmajfault", m.pgmajfault) &&
           Uint(obj, path, "workingsetRefaultFile", m.workingset_refault_file) &&
           Uint(obj, path, "workingsetRefaultAnon", m.workingset_refault_anon) &&
           Uint(obj, path, "eventsLow", m.events_low) &&
           Uint(obj, path, "eventsHigh", m.events_high) &&
           Uint(obj, path, "eventsMax", m.events_max) &&
           Uint(obj, path, "eventsOom", m.events_oom) &&
           Uint(obj, path, "eventsOomKill", m.events_oom_kill) &&
           PressureAt(obj, path, "pressure", m.pressure);
  }

  bool Cpu(const json& obj, const Path& path, CpuReading& c) {
    return Uint(obj, path, "usageUs", c.usage_us) && Uint(obj, path, "userUs", c.user_us) &&
           Uint(obj, path, "systemUs", c.system_us) && Uint(obj, path, "nrPeriods", c.nr_periods) &&
           Uint(obj, path, "nrThrottled", c.nr_throttled) &&
           Uint(obj, path, "throttledUs", c.throttled_us) &&
           OptUint(obj, path, "quotaUs", c.quota_us) && Uint(obj, path, "periodUs", c.period_us) &&
           PressureAt(obj, path, "pressure", c.pressure);
  }

  bool Io(const json& obj, const Path& path, IoReading& io) {
    return Uint(obj, path, "readBytes", io.read_bytes) &&
           Uint(obj, path, "writeBytes", io.write_bytes) &&
           Uint(obj, path, "readIos", io.read_ios) && Uint(obj, path, "writeIos", io.write_ios) &&
           PressureAt(obj, path, "pressure", io.pressure);
  }

  bool Pids(const json& obj, const Path& path, PidsReading& p) {
    return Uint(obj, path, "current", p.current) && OptUint(obj, path, "limit", p.limit) &&
           Uint(obj, path, "eventsMax", p.events_max);
  }

  bool Net(const json& obj, const Path& path, NetReading& n) {
    return Uint(obj, path, "tcpOutSegs", n.tcp_out_segs) &&
           Uint(obj, path, "tcpRetransSegs", n.tcp_retrans_segs) &&
           Uint(obj, path, "rxBytes", n.rx_bytes) && Uint(obj, path, "txBytes", n.tx_bytes) &&
           Uint(obj, path, "rxDropped", n.rx_dropped) && Uint(obj, path, "txDropped", n.tx_dropped);
  }

  bool Reading(const json& obj, const Path& path, CgroupReading& r) {
    if (!Monotonic(obj, path, "monotonicNs", r.time, false)) return false;
    if (const json* m = Object(obj, path, "memory", false)) {
      if (!Memory(*m, path.Field("memory"), r.memory)) return false;
    }
    if (const json* c = Object(obj, path, "cpu", false)) {
      if (!Cpu(*c, path.Field("cpu"), r.cpu)) return false;
    }
    if (const json* io = Object(obj, path, "io", false)) {
      if (!Io(*io, path.Field("io"), r.io)) return false;
    }
    if (const json* p = Object(obj, path, "pids", false)) {
      if (!Pids(*p, path.Field("pids"), r.pids)) return false;
    }
    if (error_) return false;
    if (!Uint32(obj, path, "processCount", r.process_count)) return false;
    if (const json* blocked = Array(obj, path, "blocked", false)) {
      Path bpath = path.Field("blocked");
      r.blocked.reserve(blocked->size());
      for (size_t i = 0; i < blocked->size(); ++i) {
        const json& t = (*blocked)[i];
        Path tpath = bpath.At(i);
        if (!t.is_object()) return Fail(tpath, "expected object");
        BlockedThread thread;
        if (!Int32(t, tpath, "pid", thread.pid) || !Int32(t, tpath, "tid", thread.tid) ||
            !Uint(t, tpath, "startTimeTicks", thread.start_time_ticks) ||
            !String(t, tpath, "comm", thread.comm)) {
          return false;
        }
        r.blocked.push_back(std::move(thread));
      }
    }
    if (error_) return false;
    if (const json* n = Object(obj, path, "net", false)) {
      r.net.emplace();
      if (!Net(*n, path.Field("net"), *r.net)) return false;
    }
    return !error_;
  }

  bool Node(const json& obj, const Path& path, NodeReading& n) {
    return Monotonic(obj, path, "monotonicNs", n.time, false) &&
           Uint(obj, path, "memTotalBytes", n.mem_total_bytes) &&
           Uint(obj, path, "memAvailableBytes", n.mem_available_bytes) &&
           Uint(obj, path, "committedAsBytes", n.committed_as_bytes) &&
           Uint(obj, path, "commitLimitBytes", n.commit_limit_bytes) &&
           Uint(obj, path, "pgmajfault", n.pgmajfault) &&
           Uint(obj, path, "workingsetRefaultFile", n.workingset_refault_file) &&
           Uint(obj, path, "pswpin", n.pswpin) && Uint(obj, path, "pswpout", n.pswpout) &&
           Double(obj, path, "load1", n.load1) && Double(obj, path, "load5", n.load5) &&
           Double(obj, path, "load15", n.load15) &&
           Uint32(obj, path, "procsRunning", n.procs_running) &&
           PressureAt(obj, path, "memoryPressure", n.memory_pressure) &&
           PressureAt(obj, path, "cpuPressure", n.cpu_pressure) &&
           PressureAt(obj, path, "ioPressure", n.io_pressure);
  }

  bool Container(const json& obj, const Path& path, ContainerSample& c) {
    if (!String(obj, path, "id", c.id, true) || !String(obj, path, "runtime", c.runtime)) {
      return false;
    }
    const json* r = Object(obj, path, "reading", true);
    return r != nullptr && Reading(*r, path.Field("reading"), c.reading);
  }

  bool Pod(const json& obj, const Path& path, PodSample& pod) {
    if (!String(obj, path, "uid", pod.uid, true) || !String(obj, path, "qos", pod.qos)) {
      return false;
    }
    if (const json* r = Object(obj, path, "reading", false)) {
      pod.reading.emplace();
      if (!Reading(*r, path.Field("reading"), *pod.reading)) return false;
    }
    if (error_) return false;
    const json* containers = Array(obj, path, "containers", false);
    if (error_) return false;
    if (containers == nullptr) return true;
    Path cpath = path.Field("containers");
    pod.containers.reserve(containers->size());
    for (size_t i = 0; i < containers->size(); ++i) {
      const json& c = (*containers)[i];
      if (!c.is_object()) return Fail(cpath.At(i), "expected object");
      ContainerSample container;
      if (!Container(c, cpath.At(i), container)) return false;
      pod.containers.push_back(std::move(container));
    }
    return true;
  }

  bool SampleAt(const json& obj, const Path& path, Sample& s) {
    if (!Uint(obj, path, "seq", s.seq, true) ||
        !Monotonic(obj, path, "monotonicNs", s.monotonic, true)) {
      return false;
    }
    if (const json* n = Object(obj, path, "node", false)) {
      if (!Node(*n, path.Field("node"), s.node)) return false;
    }
    if (error_) return false;
    const json* pods = Array(obj, path, "pods", false);
    if (error_) return false;
    if (pods == nullptr) return true;
    Path ppath = path.Field("pods");
    s.pods.reserve(pods->size());
    for (size_t i = 0; i < pods->size(); ++i) {
      const json& p = (*pods)[i];
      if (!p.is_object()) return Fail(ppath.At(i), "expected object");
      PodSample pod;
      if (!Pod(p, ppath.At(i), pod)) return false;
      s.pods.push_back(std::move(pod));
    }
    return true;
  }

  bool Response(const json& doc, SamplesResponse& out) {
    Path root;
    if (!doc.is_object()) return Fail(root, "expected a JSON object at the top level");
    std::string api_version;
    if (!String(doc, root, "apiVersion", api_version, true)) return false;
    if (api_version != kApiVersion) {
      return Fail(root.Field("apiVersion"), "unsupported version \"" + api_version.substr(0, 64) +
                                                "\", want \"" + std::string(kApiVersion) + "\"");
    }
    const json* node = Object(doc, root, "node", true);
    if (node == nullptr) return false;
    Path npath = root.Field("node");
    if (!String(*node, npath, "name", out.node.name, true) ||
        !String(*node, npath, "bootId", out.node.boot_id)) {
      return false;
    }
    if (!Uint(doc, root, "cursor", out.cursor, true) ||
        !Uint32(doc, root, "intervalSeconds", out.interval_seconds) ||
        !Bool(doc, root, "truncated", out.truncated) || !Bool(doc, root, "more", out.more)) {
      return false;
    }
    const json* samples = Array(doc, root, "samples", true);
    if (samples == nullptr) return false;
    Path spath = root.Field("samples");
    out.samples.reserve(samples->size());
    for (size_t i = 0; i < samples->size(); ++i) {
      const json& s = (*samples)[i];
      if (!s.is_object()) return Fail(spath.At(i), "expected object");
      Sample sample;
      if (!SampleAt(s, spath.At(i), sample)) return false;
      out.samples.push_back(std::move(sample));
    }
    return true;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace

Result<SamplesResponse> DecodeSamplesResponse(std::string_view text) {
  if (!NestingWithin(text, kMaxDepth)) {
    return MakeError(ErrorCode::kMalformed,
                     "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  try {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true,
                           /*ignore_comments=*/false);
    SamplesResponse out;
    Decoder decoder;
    if (!decoder.Response(doc, out)) {
      if (decoder.error()) return *decoder.error();
      return MakeError(ErrorCode::kMalformed, "invalid samples response");
    }
    return out;
  } catch (const json::parse_error& e) {
    return MakeError(ErrorCode::kMalformed,
                     "not JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const std::exception& e) {
    // nlohmann reports other misuse as exceptions; none may cross this boundary.
    return MakeError(ErrorCode::kMalformed, std::string("cannot decode: ") + e.what());
  }
}

}  // namespace gt::wire
