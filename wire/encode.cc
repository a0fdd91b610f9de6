// Hand-written JSON output: the agent encodes every container of every pod on each tick, so
// this avoids building a DOM per sample. Field names here and in decode.cc are the contract.
#include <charconv>
#include <cstring>

#include "wire/samples.h"

namespace gt::wire {
namespace {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void Open() {
    out_.push_back('{');
    first_ = true;
  }
  void Close() {
    out_.push_back('}');
    first_ = false;
  }
  void OpenArray(std::string_view key) {
    Key(key);
    out_.push_back('[');
    first_ = true;
  }
  void CloseArray() {
    out_.push_back(']');
    first_ = false;
  }
  // Starts an object as an array element.
  void OpenElement() {
    Comma();
    Open();
  }
  void OpenObject(std::string_view key) {
    Key(key);
    Open();
  }

  void Uint(std::string_view key, uint64_t v) {
    Key(key);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void Int(std::string_view key, int64_t v) {
    Key(key);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  // Shortest text that reads back to the same double. JSON has no NaN or infinity: the
  // kernel never reports them, so they are written as 0 rather than as invalid JSON.
  void Double(std::string_view key, double v) {
    Key(key);
    if (v != v || v - v != 0) v = 0;
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void OptUint(std::string_view key, const std::optional<uint64_t>& v) {
    if (v) Uint(key, *v);
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_.append(v ? "true" : "false");
  }
  void String(std::string_view key, std::string_view v) {
    Key(key);
    Quoted(v);
  }
  // Appends already-encoded JSON as an array element.
  void RawElement(std::string_view json) {
    Comma();
    out_.append(json);
    first_ = false;
  }

 private:
  void Comma() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void Key(std::string_view key) {
    Comma();
    out_.push_back('"');
    out_.append(key);  // keys are our own ASCII literals
    out_.append("\":");
  }

  // Strings from the kernel (a thread's comm) may hold any byte; the output must be valid
  // UTF-8 JSON, so control characters are escaped and invalid UTF-8 becomes U+FFFD.
  void Quoted(std::string_view s) {
    out_.push_back('"');
    size_t i = 0;
    while (i < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(static_cast<char>(c));
        ++i;
      } else if (c < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out_.append("\\u00");
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 0xf]);
        ++i;
      } else if (c < 0x80) {
        out_.push_back(static_cast<char>(c));
        ++i;
      } else {
        size_t n = Utf8SequenceLength(s.substr(i));
        if (n == 0) {
          out_.append("\xef\xbf\xbd");
          ++i;
        } else {
          out_.append(s.substr(i, n));
          i += n;
        }
      }
    }
    out_.push_back('"');
  }

  // Length of the valid UTF-8 sequence at the start of `s` (non-ASCII lead byte), or 0.
  static size_t Utf8SequenceLength(std::string_view s) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
    unsigned char c = byte(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(1) || !cont(2)) return 0;
      if (c == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
      if (c == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
      return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return 0;
      if (c == 0xF0 && byte(1) < 0x90) return 0;   // overlong
      if (c == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
      return 4;
    }
    return 0;
  }

  std::string& out_;
  bool first_ = true;
};

void WritePressureLine(JsonWriter& w, std::string_view key, const PressureLine& line) {
  w.OpenObject(key);
  w.Double("avg10", line.avg10);
  w.Double("avg60", line.avg60);
  w.Double("avg300", line.avg300);
  w.Uint("totalUs", line.total_us);
  w.Close();
}

void WritePressure(JsonWriter& w, std::string_view key, const std::optional<Pressure>& p) {
  if (!p) return;
  w.OpenObject(key);
  WritePressureLine(w, "some", p->some);
  if (p->full) WritePressureLine(w, "full", *p->full);
  w.Close();
}

void WriteReading(JsonWriter& w, const CgroupReading& r) {
  w.OpenObject("reading");
  w.Int("monotonicNs", r.time.count());

  const MemoryReading& m = r.memory;
  w.OpenObject("memory");
  w.Uint("usageBytes", m.usage_bytes);
  w.OptUint("limitBytes", m.limit_bytes);
  w.OptUint("highBytes", m.high_bytes);
  w.OptUint("peakBytes", m.peak_bytes);
  w.Uint("anonBytes", m.anon_bytes);
  w.Uint("fileBytes", m.file_bytes);
  w.Uint("activeFileBytes", m.active_file_bytes);
  w.Uint("inactiveFileBytes", m.inactive_file_bytes);
  w.OptUint("swapUsageBytes", m.swap_usage_bytes);
  w.OptUint("swapLimitBytes", m.swap_limit_bytes);
  w.Uint("pgfault", m.pgfault);
  w.Uint("pgmajfault", m.pgmajfault);
  w.Uint("workingsetRefaultFile", m.workingset_refault_file);
  w.Uint("workingsetRefaultAnon", m.workingset_refault_anon);
  w.Uint("eventsLow", m.events_low);
  w.Uint("eventsHigh", m.events_high);
  w.Uint("eventsMax", m.events_max);
  w.Uint("eventsOom", m.events_oom);
  w.Uint("eventsOomKill", m.events_oom_kill);
  WritePressure(w, "pressure", m.pressure);
  w.Close();

  const CpuReading& c = r.cpu;
  w.OpenObject("cpu");
  w.Uint("usageUs", c.usage_us);
  w.Uint("userUs", c.user_us);
  w.Uint("systemUs", c.system_us);
  w.Uint("nrPeriods", c.nr_periods);
  w.Uint("nrThrottled", c.nr_throttled);
  w.Uint("throttledUs", c.throttled_us);
  w.OptUint("quotaUs", c.quota_us);
  w.Uint("periodUs", c.period_us);
  WritePressure(w, "pressure", c.pressure);
  w.Close();

  const IoReading& io = r.io;
  w.OpenObject("io");
  w.Uint("readBytes", io.read_bytes);
  w.Uint("writeBytes", io.write_bytes);
  w.Uint("readIos", io.read_ios);
  w.Uint("writeIos", io.write_ios);
  WritePressure(w, "pressure", io.pressure);
  w.Close();

  w.OpenObject("pids");
  w.Uint("current", r.pids.current);
  w.OptUint("limit", r.pids.limit);
  w.Uint("eventsMax", r.pids.events_max);
  w.Close();

  w.Uint("processCount", r.process_count);
  w.OpenArray("blocked");
  for (const BlockedThread& t : r.blocked) {
    w.OpenElement();
    w.Int("pid", t.pid);
    w.Int("tid", t.tid);
    w.Uint("startTimeTicks", t.start_time_ticks);
    w.String("comm", t.comm);
    w.Close();
  }
  w.CloseArray();

  if (r.net) {
    w.OpenObject("net");
    w.Uint("tcpOutSegs", r.net->tcp_out_segs);
    w.Uint("tcpRetransSegs", r.net->tcp_retrans_segs);
    w.Uint("rxBytes", r.net->rx_bytes);
    w.Uint("txBytes", r.net->tx_bytes);
    w.Uint("rxDropped", r.net->rx_dropped);
    w.Uint("txDropped", r.net->tx_dropped);
    w.Close();
  }
  w.Close();
}

void WriteNode(JsonWriter& w, const NodeReading& n) {
  w.OpenObject("node");
  w.Int("monotonicNs", n.time.count());
  w.Uint("memTotalBytes", n.mem_total_bytes);
  w.Uint("memAvailableBytes", n.mem_available_bytes);
  w.Uint("committedAsBytes", n.committed_as_bytes);
  w.Uint("commitLimitBytes", n.commit_limit_bytes);
  w.Uint("pgmajfault", n.pgmajfault);
  w.Uint("workingsetRefaultFile", n.workingset_refault_file);
  w.Uint("pswpin", n.pswpin);
  w.Uint("pswpout", n.pswpout);
  w.Double("load1", n.load1);
  w.Double("load5", n.load5);
  w.Double("load15", n.load15);
  w.Uint("procsRunning", n.procs_running);
  WritePressure(w, "memoryPressure", n.memory_pressure);
  WritePressure(w, "cpuPressure", n.cpu_pressure);
  WritePressure(w, "ioPressure", n.io_pressure);
  w.Close();
}

}  // namespace

std::string EncodeSample(const Sample& sample) {
  std::string out;
  out.reserve(1024 + sample.pods.size() * 3 * 1400);
  JsonWriter w(out);
  w.Open();
  w.Uint("seq", sample.seq);
  w.Int("monotonicNs", sample.monotonic.count());
  WriteNode(w, sample.node);
  w.OpenArray("pods");
  for (const PodSample& pod : sample.pods) {
    w.OpenElement();
    w.String("uid", pod.uid);
    w.String("qos", pod.qos);
    if (pod.reading) WriteReading(w, *pod.reading);
    w.OpenArray("containers");
    for (const ContainerSample& c : pod.containers) {
      w.OpenElement();
      w.String("id", c.id);
      w.String("runtime", c.runtime);
      WriteReading(w, c.reading);
      w.Close();
    }
    w.CloseArray();
    w.Close();
  }
  w.CloseArray();
  w.Close();
  return out;
}

std::string EncodeResponse(const NodeIdentity& node, uint64_t cursor, uint32_t interval_seconds,
                           bool truncated, bool more,
                           const std::vector<std::string_view>& encoded_samples) {
  size_t total = 256 + node.name.size() + node.boot_id.size();
  for (std::string_view s : encoded_samples) total += s.size() + 1;
  std::string out;
  out.reserve(total);
  JsonWriter w(out);
  w.Open();
  w.String("apiVersion", kApiVersion);
  w.OpenObject("node");
  w.String("name", node.name);
  w.String("bootId", node.boot_id);
  w.Close();
  w.Uint("cursor", cursor);
  w.Uint("intervalSeconds", interval_seconds);
  w.Bool("truncated", truncated);
  w.Bool("more", more);
  w.OpenArray("samples");
  for (std::string_view s : encoded_samples) w.RawElement(s);
  w.CloseArray();
  w.Close();
  return out;
}

std::string EncodeResponse(const SamplesResponse& response) {
  std::vector<std::string> encoded;
  encoded.reserve(response.samples.size());
  for (const Sample& s : response.samples) encoded.push_back(EncodeSample(s));
  std::vector<std::string_view> views(encoded.begin(), encoded.end());
  return EncodeResponse(response.node, response.cursor, response.interval_seconds,
                        response.truncated, response.more, views);
}

}  // namespace gt::wire
