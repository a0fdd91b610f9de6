#include "reconcile/history.h"

#include <array>
#include <optional>
#include <tuple>
#include <type_traits>

namespace gt::reconcile {
namespace {

// Which optional parts a reading has, one bit each.
enum Present : uint64_t {
  kMemoryLimit = 1 << 0,
  kQuota = 1 << 1,
  kPidsLimit = 1 << 2,
  kMemoryPsi = 1 << 3,
  kMemoryPsiFull = 1 << 4,
  kCpuPsi = 1 << 5,
  kCpuPsiFull = 1 << 6,
  kIoPsi = 1 << 7,
  kIoPsiFull = 1 << 8,
  kNet = 1 << 9,
  kBlocked = 1 << 10,
};

constexpr size_t kSlots = 26;  // time, 14 plain fields, 3 optional ones, 3 PSI pairs, net pair
using Slots = std::array<uint64_t, kSlots>;

// Every field the rules read, in a fixed order; absent optionals read as 0. Pack and unpack
// both go through this one list, so a field cannot be written and not read back.
template <typename R, typename F>
void Visit(R& r, F&& f) {
  f(r.memory.usage_bytes);
  f(r.memory.inactive_file_bytes);
  f(r.memory.file_bytes);
  f(r.memory.pgmajfault);
  f(r.memory.workingset_refault_file);
  f(r.memory.events_max);
  f(r.memory.events_oom_kill);
  f(r.cpu.usage_us);
  f(r.cpu.nr_periods);
  f(r.cpu.nr_throttled);
  f(r.cpu.throttled_us);
  f(r.cpu.period_us);
  f(r.pids.current);
  f(r.pids.events_max);
}

Slots ToSlots(const CgroupReading& r, uint64_t& present) {
  Slots s{};
  size_t i = 0;
  s[i++] = static_cast<uint64_t>(r.time.count());
  Visit(r, [&](uint64_t v) { s[i++] = v; });
  present = 0;
  auto opt = [&](const std::optional<uint64_t>& v, uint64_t bit) {
    if (v) present |= bit;
    s[i++] = v.value_or(0);
  };
  opt(r.memory.limit_bytes, kMemoryLimit);
  opt(r.cpu.quota_us, kQuota);
  opt(r.pids.limit, kPidsLimit);
  auto psi = [&](const std::optional<Pressure>& p, uint64_t bit, uint64_t full_bit) {
    if (p) present |= bit;
    if (p && p->full) present |= full_bit;
    s[i++] = p ? p->some.total_us : 0;
    s[i++] = p && p->full ? p->full->total_us : 0;
  };
  psi(r.memory.pressure, kMemoryPsi, kMemoryPsiFull);
  psi(r.cpu.pressure, kCpuPsi, kCpuPsiFull);
  psi(r.io.pressure, kIoPsi, kIoPsiFull);
  if (r.net) present |= kNet;
  s[i++] = r.net ? r.net->tcp_out_segs : 0;
  s[i++] = r.net ? r.net->tcp_retrans_segs : 0;
  if (!r.blocked.empty()) present |= kBlocked;
  return s;
}

CgroupReading FromSlots(const Slots& s, uint64_t present) {
  CgroupReading r;
  size_t i = 0;
  r.time = MonotonicTime(static_cast<int64_t>(s[i++]));
  Visit(r, [&](uint64_t& v) { v = s[i++]; });
  auto opt = [&](std::optional<uint64_t>& v, uint64_t bit) {
    if (present & bit) v = s[i];
    ++i;
  };
  opt(r.memory.limit_bytes, kMemoryLimit);
  opt(r.cpu.quota_us, kQuota);
  opt(r.pids.limit, kPidsLimit);
  auto psi = [&](std::optional<Pressure>& p, uint64_t bit, uint64_t full_bit) {
    if (present & bit) {
      p = Pressure{};
      p->some.total_us = s[i];
      if (present & full_bit) p->full = PressureLine{.total_us = s[i + 1]};
    }
    i += 2;
  };
  psi(r.memory.pressure, kMemoryPsi, kMemoryPsiFull);
  psi(r.cpu.pressure, kCpuPsi, kCpuPsiFull);
  psi(r.io.pressure, kIoPsi, kIoPsiFull);
  if (present & kNet) r.net = NetReading{.tcp_out_segs = s[i], .tcp_retrans_segs = s[i + 1]};
  return r;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::optional<uint64_t> GetVarint(std::string_view& in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return std::nullopt;
}

// A change in modular arithmetic, zigzagged so that small falls (counter resets, a gauge
// going down) stay short too.
uint64_t ZigZag(uint64_t delta) {
  const auto d = static_cast<int64_t>(delta);
  return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}
uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

// A node's readings: the fields NodeOvercommitted reads.
constexpr size_t kNodeSlots = 4;  // time, Committed_AS, CommitLimit, memory PSI some
using NodeSlots = std::array<uint64_t, kNodeSlots>;

NodeSlots ToSlots(const NodeReading& r, uint64_t& present) {
  present = 0;
  if (r.memory_pressure) present |= kMemoryPsi;
  if (r.memory_pressure && r.memory_pressure->full) present |= kMemoryPsiFull;
  return {static_cast<uint64_t>(r.time.count()), r.committed_as_bytes, r.commit_limit_bytes,
          r.memory_pressure ? r.memory_pressure->some.total_us : 0};
}

NodeReading FromSlots(const NodeSlots& s, uint64_t present) {
  NodeReading r;
  r.time = MonotonicTime(static_cast<int64_t>(s[0]));
  r.committed_as_bytes = s[1];
  r.commit_limit_bytes = s[2];
  if (present & kMemoryPsi) {
    r.memory_pressure = Pressure{};
    r.memory_pressure->some.total_us = s[3];
    if (present & kMemoryPsiFull) r.memory_pressure->full = PressureLine{};
  }
  return r;
}

template <typename R, typename S>
std::string Pack(const std::vector<const R*>& readings) {
  std::string out;
  out.reserve(readings.size() * 2 * std::tuple_size_v<S>);  // most changes fit in 1-3 bytes
  S prev{};
  for (const R* r : readings) {
    uint64_t present = 0;
    const S cur = ToSlots(*r, present);
    PutVarint(out, present);
    // Most fields of a healthy container do not move between readings: a bit per field
    // says which did, and only those follow.
    uint64_t changed = 0;
    for (size_t i = 0; i < cur.size(); ++i) {
      if (cur[i] != prev[i]) changed |= uint64_t{1} << i;
    }
    PutVarint(out, changed);
    for (size_t i = 0; i < cur.size(); ++i) {
      if (changed & (uint64_t{1} << i)) PutVarint(out, ZigZag(cur[i] - prev[i]));
    }
    if constexpr (std::is_same_v<R, CgroupReading>) {
      if (present & kBlocked) {
        PutVarint(out, r->blocked.size());
        for (const BlockedThread& t : r->blocked) {
          PutVarint(out, ZigZag(static_cast<uint64_t>(static_cast<int64_t>(t.pid))));
          PutVarint(out, ZigZag(static_cast<uint64_t>(static_cast<int64_t>(t.tid))));
          PutVarint(out, t.start_time_ticks);
          PutVarint(out, t.comm.size());
          out += t.comm;
        }
      }
    }
    prev = cur;
  }
  return std::string(out);  // kept for minutes, one per container: an exact copy, no slack
}

template <typename R, typename S>
std::vector<R> Unpack(std::string_view in) {
  std::vector<R> out;
  S prev{};
  while (!in.empty()) {
    std::optional<uint64_t> present = GetVarint(in);
    if (!present) return {};
    std::optional<uint64_t> changed = GetVarint(in);
    if (!changed) return {};
    S cur = prev;
    for (size_t i = 0; i < cur.size(); ++i) {
      if ((*changed & (uint64_t{1} << i)) == 0) continue;
      std::optional<uint64_t> z = GetVarint(in);
      if (!z) return {};
      cur[i] = prev[i] + UnZigZag(*z);
    }
    R r = FromSlots(cur, *present);
    if constexpr (std::is_same_v<R, CgroupReading>) {
      if (*present & kBlocked) {
        std::optional<uint64_t> n = GetVarint(in);
        if (!n || *n > in.size()) return {};
        for (uint64_t k = 0; k < *n; ++k) {
          std::optional<uint64_t> pid = GetVarint(in), tid = GetVarint(in), start = GetVarint(in),
                                  length = GetVarint(in);
          if (!pid || !tid || !start || !length || *length > in.size()) return {};
          BlockedThread t;
          t.pid = static_cast<int32_t>(static_cast<int64_t>(UnZigZag(*pid)));
          t.tid = static_cast<int32_t>(static_cast<int64_t>(UnZigZag(*tid)));
          t.start_time_ticks = *start;
          t.comm = std::string(in.substr(0, *length));
          in.remove_prefix(*length);
          r.blocked.push_back(std::move(t));
        }
      }
    }
    out.push_back(std::move(r));
    prev = cur;
  }
  return out;
}

}  // namespace

std::string PackReadings(const std::vector<const CgroupReading*>& readings) {
  return Pack<CgroupReading, Slots>(readings);
}

std::vector<CgroupReading> UnpackReadings(std::string_view packed) {
  return Unpack<CgroupReading, Slots>(packed);
}

std::string PackReadings(const std::vector<const NodeReading*>& readings) {
  return Pack<NodeReading, NodeSlots>(readings);
}

std::vector<NodeReading> UnpackNodeReadings(std::string_view packed) {
  return Unpack<NodeReading, NodeSlots>(packed);
}

}  // namespace gt::reconcile
