#include "collectors/parse.h"

#include <algorithm>
#include <charconv>

namespace gt::collectors {
namespace {

// v1 reports "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE, which differs with page size and
// kernel version (9223372036854771712 on x86-64 with 4 KiB pages); no real limit is this big.
constexpr uint64_t kV1UnlimitedThreshold = uint64_t{1} << 62;

Error Malformed(std::string_view path, int line, std::string message) {
  return MakeError(ErrorCode::kMalformed, std::move(message), std::string(path), line);
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "\"";
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Walks lines with 1-based numbers; the last line may lack its newline.
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {}
  bool Next(std::string_view& line) {
    if (rest_.empty()) return false;
    size_t nl = rest_.find('\n');
    if (nl == std::string_view::npos) {
      line = rest_;
      rest_ = {};
    } else {
      line = rest_.substr(0, nl);
      rest_.remove_prefix(nl + 1);
    }
    ++number_;
    return true;
  }
  int number() const { return number_; }

 private:
  std::string_view rest_;
  int number_ = 0;
};

// Splits off the next whitespace-separated token.
std::string_view NextToken(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  size_t j = i;
  while (j < s.size() && !IsSpace(s[j])) ++j;
  std::string_view token = s.substr(i, j - i);
  s.remove_prefix(j);
  return token;
}

template <typename T>
bool ToNumber(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ToDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The single line of a one-value file; an empty file is malformed (the kernel always writes one).
Result<std::string_view> SingleValue(std::string_view text, std::string_view path) {
  std::string_view value = Trim(text);
  if (value.empty()) return Malformed(path, 1, "empty file");
  if (value.find('\n') != std::string_view::npos) {
    return Malformed(path, 2, "expected a single value, found more lines");
  }
  return value;
}

}  // namespace

Result<uint64_t> ParseNumber(std::string_view text, std::string_view path) {
  auto value = SingleValue(text, path);
  if (!value) return value.error();
  uint64_t n = 0;
  if (!ToNumber(*value, n)) return Malformed(path, 1, "not a number: " + Quote(*value));
  return n;
}

Result<std::optional<uint64_t>> ParseMaxOrNumber(std::string_view text, std::string_view path) {
  auto value = SingleValue(text, path);
  if (!value) return value.error();
  if (*value == "max") return std::optional<uint64_t>();
  uint64_t n = 0;
  if (!ToNumber(*value, n))
    return Malformed(path, 1, "expected \"max\" or a number: " + Quote(*value));
  return std::optional<uint64_t>(n);
}

Result<std::optional<uint64_t>> ParseV1MemoryLimit(std::string_view text, std::string_view path) {
  auto n = ParseNumber(text, path);
  if (!n) return n.error();
  if (*n >= kV1UnlimitedThreshold) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*n);
}

Result<std::optional<uint64_t>> ParseV1CfsQuota(std::string_view text, std::string_view path) {
  auto value = SingleValue(text, path);
  if (!value) return value.error();
  int64_t n = 0;
  if (!ToNumber(*value, n)) return Malformed(path, 1, "not a number: " + Quote(*value));
  if (n < 0) return std::optional<uint64_t>();  // -1: no quota
  return std::optional<uint64_t>(static_cast<uint64_t>(n));
}

Status ParseFlatKeyed(std::string_view text, std::string_view path,
                      std::span<const FlatKeyedField> fields) {
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    // Most lines are keys nobody asked for: find the key with one memchr and move on.
    std::string_view rest = line;
    std::string_view key;
    if (!line.empty() && !IsSpace(line.front())) {
      size_t space = line.find(' ');
      key = line.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view() : line.substr(space);
    } else {
      key = NextToken(rest);
    }
    if (key.empty()) continue;  // blank line
    for (const FlatKeyedField& field : fields) {
      if (field.key != key) continue;
      std::string_view value = NextToken(rest);
      uint64_t n = 0;
      if (!ToNumber(value, n) || !Trim(rest).empty()) {
        return Malformed(path, lines.number(),
                         "expected \"" + std::string(key) + " <number>\", got " + Quote(line));
      }
      if (field.value != nullptr) *field.value = n;
      if (field.seen != nullptr) *field.seen = true;
      break;
    }
  }
  return OkStatus();
}

Result<CpuMax> ParseCpuMax(std::string_view text, std::string_view path) {
  auto value = SingleValue(text, path);
  if (!value) return value.error();
  std::string_view rest = *value;
  std::string_view quota = NextToken(rest);
  std::string_view period = NextToken(rest);
  CpuMax out;
  if (quota != "max") {
    uint64_t n = 0;
    if (!ToNumber(quota, n)) return Malformed(path, 1, "bad quota in " + Quote(*value));
    out.quota_us = n;
  }
  if (!period.empty() && !ToNumber(period, out.period_us)) {
    return Malformed(path, 1, "bad period in " + Quote(*value));
  }
  if (!Trim(rest).empty()) return Malformed(path, 1, "trailing fields in " + Quote(*value));
  return out;
}

Result<Pressure> ParsePressure(std::string_view text, std::string_view path) {
  Pressure out;
  bool have_some = false;
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    std::string_view rest = line;
    std::string_view kind = NextToken(rest);
    if (kind.empty()) continue;
    PressureLine parsed;
    bool have_total = false;
    for (std::string_view field = NextToken(rest); !field.empty(); field = NextToken(rest)) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) {
        return Malformed(path, lines.number(), "expected key=value in " + Quote(line));
      }
      std::string_view key = field.substr(0, eq);
      std::string_view value = field.substr(eq + 1);
      bool ok = true;
      if (key == "avg10") {
        ok = ToDouble(value, parsed.avg10);
      } else if (key == "avg60") {
        ok = ToDouble(value, parsed.avg60);
      } else if (key == "avg300") {
        ok = ToDouble(value, parsed.avg300);
      } else if (key == "total") {
        ok = ToNumber(value, parsed.total_us);
        have_total = ok;
      }
      if (!ok) return Malformed(path, lines.number(), "bad value in " + Quote(field));
    }
    if (!have_total) return Malformed(path, lines.number(), "no total= in " + Quote(line));
    if (kind == "some") {
      out.some = parsed;
      have_some = true;
    } else if (kind == "full") {
      out.full = parsed;
    } else {
      return Malformed(path, lines.number(), "expected some or full, got " + Quote(kind));
    }
  }
  if (!have_some) return Malformed(path, 1, "no \"some\" line");
  return out;
}

Result<IoTotals> ParseIoStat(std::string_view text, std::string_view path) {
  IoTotals out;
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    std::string_view rest = line;
    std::string_view device = NextToken(rest);
    if (device.empty()) continue;
    if (device.find(':') == std::string_view::npos) {
      return Malformed(path, lines.number(), "expected MAJ:MIN, got " + Quote(device));
    }
    for (std::string_view field = NextToken(rest); !field.empty(); field = NextToken(rest)) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) {
        return Malformed(path, lines.number(), "expected key=value in " + Quote(field));
      }
      std::string_view key = field.substr(0, eq);
      uint64_t* target = key == "rbytes"   ? &out.read_bytes
                         : key == "wbytes" ? &out.write_bytes
                         : key == "rios"   ? &out.read_ios
                         : key == "wios"   ? &out.write_ios
                                           : nullptr;
      if (target == nullptr) continue;
      uint64_t n = 0;
      if (!ToNumber(field.substr(eq + 1), n)) {
        return Malformed(path, lines.number(), "bad value in " + Quote(field));
      }
      *target += n;
    }
  }
  return out;
}

Result<BlkioTotals> ParseV1Blkio(std::string_view text, std::string_view path) {
  BlkioTotals out;
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    std::string_view rest = line;
    std::string_view first = NextToken(rest);
    if (first.empty()) continue;
    if (first == "Total") continue;  // derived grand total
    std::string_view op = NextToken(rest);
    std::string_view value = NextToken(rest);
    uint64_t n = 0;
    if (first.find(':') == std::string_view::npos || op.empty() || !ToNumber(value, n) ||
        !Trim(rest).empty()) {
      return Malformed(path, lines.number(),
                       "expected \"MAJ:MIN Op <number>\", got " + Quote(line));
    }
    if (op == "Read") {
      out.read += n;
    } else if (op == "Write") {
      out.write += n;
    }
  }
  return out;
}

Status ParseIdList(std::string_view text, std::string_view path, std::vector<int32_t>& ids) {
  ids.clear();
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    std::string_view value = Trim(line);
    if (value.empty()) continue;
    int32_t id = 0;
    if (!ToNumber(value, id) || id <= 0) {
      return Malformed(path, lines.number(), "expected a process id, got " + Quote(line));
    }
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return OkStatus();
}

Result<Meminfo> ParseMeminfo(std::string_view text, std::string_view path) {
  Meminfo out;
  int found = 0;
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (Trim(line).empty()) continue;
      return Malformed(path, lines.number(), "expected \"Key: value\", got " + Quote(line));
    }
    std::string_view key = line.substr(0, colon);
    uint64_t* target = key == "MemTotal"       ? &out.mem_total_bytes
                       : key == "MemAvailable" ? &out.mem_available_bytes
                       : key == "CommitLimit"  ? &out.commit_limit_bytes
                       : key == "Committed_AS" ? &out.committed_as_bytes
                                               : nullptr;
    if (target == nullptr) continue;
    std::string_view rest = line.substr(colon + 1);
    std::string_view value = NextToken(rest);
    std::string_view unit = NextToken(rest);
    uint64_t n = 0;
    if (!ToNumber(value, n) || (!unit.empty() && unit != "kB")) {
      return Malformed(path, lines.number(), "expected \"<number> kB\", got " + Quote(line));
    }
    *target = unit == "kB" ? n * 1024 : n;
    ++found;
  }
  if (out.mem_total_bytes == 0) return Malformed(path, 0, "no MemTotal line");
  (void)found;
  return out;
}

Result<Vmstat> ParseVmstat(std::string_view text, std::string_view path) {
  Vmstat out;
  uint64_t legacy_refault = 0;
  bool have_split = false;
  bool have_legacy = false;
  const FlatKeyedField fields[] = {
      {"pgmajfault", &out.pgmajfault},
      {"workingset_refault_file", &out.workingset_refault_file, &have_split},
      {"workingset_refault", &legacy_refault, &have_legacy},
      {"pswpin", &out.pswpin},
      {"pswpout", &out.pswpout},
  };
  if (auto st = ParseFlatKeyed(text, path, fields); !st) return st.error();
  if (!have_split && have_legacy) out.workingset_refault_file = legacy_refault;
  return out;
}

Result<Loadavg> ParseLoadavg(std::string_view text, std::string_view path) {
  std::string_view rest = Trim(text);
  std::string_view load1 = NextToken(rest);
  std::string_view load5 = NextToken(rest);
  std::string_view load15 = NextToken(rest);
  std::string_view entities = NextToken(rest);
  std::string_view last_pid = NextToken(rest);
  Loadavg out;
  size_t slash = entities.find('/');
  if (!ToDouble(load1, out.load1) || !ToDouble(load5, out.load5) || !ToDouble(load15, out.load15) ||
      slash == std::string_view::npos || !ToNumber(entities.substr(0, slash), out.running) ||
      !ToNumber(entities.substr(slash + 1), out.total) || !ToNumber(last_pid, out.last_pid) ||
      !Trim(rest).empty()) {
    return Malformed(path, 1, "expected \"l1 l5 l15 running/total lastpid\", got " + Quote(text));
  }
  return out;
}

Result<ProcStat> ParseProcStat(std::string_view text, std::string_view path) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return Malformed(path, 1, "no (comm) in " + Quote(text));
  }
  ProcStat out;
  if (!ToNumber(Trim(text.substr(0, open)), out.pid)) {
    return Malformed(path, 1, "bad pid in " + Quote(text));
  }
  out.comm = text.substr(open + 1, close - open - 1);
  std::string_view rest = text.substr(close + 1);
  // Field numbers as in proc(5); comm is field 2.
  for (int field = 3; field <= 22; ++field) {
    std::string_view token = NextToken(rest);
    if (token.empty()) {
      return Malformed(path, 1, "stat ends at field " + std::to_string(field));
    }
    bool ok = true;
    switch (field) {
      case 3:
        ok = token.size() == 1;
        out.state = token[0];
        break;
      case 4:
        ok = ToNumber(token, out.ppid);
        break;
      case 20:
        ok = ToNumber(token, out.num_threads);
        break;
      case 22:
        ok = ToNumber(token, out.start_time_ticks);
        break;
      default:
        break;
    }
    if (!ok) {
      return Malformed(path, 1, "bad field " + std::to_string(field) + ": " + Quote(token));
    }
  }
  return out;
}

Result<NetSnmp> ParseNetSnmp(std::string_view text, std::string_view path) {
  Lines lines(text);
  std::string_view line;
  std::string_view header;
  while (lines.Next(line)) {
    if (!line.starts_with("Tcp:")) continue;
    if (header.empty()) {
      header = line;
      continue;
    }
    NetSnmp out;
    bool have_out = false, have_retrans = false;
    std::string_view names = header.substr(4);
    std::string_view values = line.substr(4);
    for (std::string_view name = NextToken(names); !name.empty(); name = NextToken(names)) {
      std::string_view value = NextToken(values);
      if (value.empty()) return Malformed(path, lines.number(), "Tcp: fewer values than names");
      uint64_t* target = name == "OutSegs"       ? &out.tcp_out_segs
                         : name == "RetransSegs" ? &out.tcp_retrans_segs
                                                 : nullptr;
      if (target == nullptr) continue;
      if (!ToNumber(value, *target)) {
        return Malformed(path, lines.number(), "bad " + std::string(name) + ": " + Quote(value));
      }
      (target == &out.tcp_out_segs ? have_out : have_retrans) = true;
    }
    if (!have_out || !have_retrans) {
      return Malformed(path, lines.number(), "Tcp: lacks OutSegs or RetransSegs");
    }
    return out;
  }
  return Malformed(path, lines.number(), "no Tcp: header and value lines");
}

Result<NetDev> ParseNetDev(std::string_view text, std::string_view path) {
  NetDev out;
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (lines.number() <= 2 || Trim(line).empty()) continue;  // the two header lines
      return Malformed(path, lines.number(), "expected \"iface: counters\", got " + Quote(line));
    }
    if (line.find('|') != std::string_view::npos) continue;  // header
    std::string_view iface = Trim(line.substr(0, colon));
    std::string_view rest = line.substr(colon + 1);
    uint64_t values[16] = {};
    for (int i = 0; i < 16; ++i) {
      if (!ToNumber(NextToken(rest), values[i])) {
        return Malformed(
            path, lines.number(),
            "field " + std::to_string(i + 1) + " of " + Quote(iface) + " is not a number");
      }
    }
    if (iface == "lo") continue;
    out.rx_bytes += values[0];
    out.rx_dropped += values[3];
    out.tx_bytes += values[8];
    out.tx_dropped += values[11];
  }
  return out;
}

Result<std::string> ParseProcCgroup(std::string_view text, std::string_view path,
                                    std::string_view controller) {
  Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (Trim(line).empty()) continue;
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      return Malformed(path, lines.number(),
                       "expected \"id:controllers:path\", got " + Quote(line));
    }
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string_view cgroup_path = line.substr(second + 1);
    if (controller.empty()) {
      if (line.substr(0, first) == "0" && controllers.empty()) return std::string(cgroup_path);
      continue;
    }
    // "cpu,cpuacct" names both controllers.
    while (!controllers.empty()) {
      size_t comma = controllers.find(',');
      std::string_view name = controllers.substr(0, comma);
      if (name == controller) return std::string(cgroup_path);
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  }
  return MakeError(ErrorCode::kNotFound,
                   "no line for controller " + Quote(controller.empty() ? "(v2)" : controller),
                   std::string(path));
}

}  // namespace gt::collectors
