// Judge over arbitrary reading series: counters that jump, go backwards or overflow, times
// out of order, absent limits. It must never crash or hit undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "reconcile/judge.h"

namespace {

class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint64_t U64() {
    uint64_t v = 0;
    const size_t n = std::min<size_t>(8, size_ - std::min(pos_, size_));
    if (n > 0) std::memcpy(&v, data_ + pos_, n);
    pos_ += 8;
    return v;
  }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Small or huge, chosen by a selector byte: exercises both realistic and extreme values.
uint64_t Value(Bytes& b) {
  const uint8_t sel = b.U8();
  const uint64_t v = b.U64();
  switch (sel % 4) {
    case 0:
      return v % 1000;
    case 1:
      return v % (uint64_t{1} << 34);
    case 2:
      return v;
    default:
      return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt;
  Bytes b(data, size);
  reconcile::WorkloadObservation w;
  w.generation = b.U8() % 3;
  w.observing_since = std::chrono::seconds(b.U8());
  reconcile::ContainerObservation c;
  c.container = "c";
  c.pod = "p";
  c.node = "n";
  if (b.U8() & 1) c.declared.memory_limit_bytes = Value(b);
  MonotonicTime t = std::chrono::seconds(1);
  NodeReading node;
  while (!b.empty() && c.readings.size() < 200) {
    CgroupReading r = c.readings.empty() ? CgroupReading{} : c.readings.back();
    const uint8_t flags = b.U8();
    t += std::chrono::milliseconds(Value(b) % 200000);
    if (flags & 0x80) t -= std::chrono::seconds(5);  // out of order
    r.time = t;
    r.memory.usage_bytes = Value(b);
    r.memory.inactive_file_bytes = Value(b);
    r.memory.file_bytes = Value(b);
    if (flags & 1)
      r.memory.limit_bytes = Value(b);
    else
      r.memory.limit_bytes.reset();
    if (flags & 2) {
      r.memory.pressure =
          Pressure{PressureLine{0, 0, 0, Value(b)}, PressureLine{0, 0, 0, Value(b)}};
    } else {
      r.memory.pressure.reset();
    }
    r.memory.workingset_refault_file = Value(b);
    r.memory.pgmajfault = Value(b);
    r.memory.events_max = Value(b);
    r.memory.events_oom_kill = Value(b);
    r.cpu.usage_us = Value(b);
    r.cpu.nr_periods = Value(b);
    r.cpu.nr_throttled = Value(b);
    r.cpu.throttled_us = Value(b);
    if (flags & 4)
      r.cpu.quota_us = Value(b);
    else
      r.cpu.quota_us.reset();
    r.cpu.period_us = Value(b);
    if (flags & 8) r.cpu.pressure = Pressure{PressureLine{0, 0, 0, Value(b)}, std::nullopt};
    if (flags & 16) r.io.pressure = Pressure{PressureLine{}, PressureLine{0, 0, 0, Value(b)}};
    r.pids.current = Value(b);
    r.pids.events_max = Value(b);
    if (flags & 32) r.pids.limit = Value(b);
    if (flags & 64) {
      r.net = NetReading{Value(b), Value(b)};
    }
    r.blocked.clear();
    if (b.U8() & 1) r.blocked.push_back(BlockedThread{1, static_cast<int32_t>(b.U8() % 3), 7, "x"});
    c.readings.push_back(r);
    node.time = t;
    node.committed_as_bytes = Value(b);
    node.commit_limit_bytes = Value(b);
    w.nodes["n"].push_back(node);
  }
  w.containers.push_back(c);
  reconcile::Policy policy =
      reconcile::WithWindow(reconcile::DefaultPolicy(), std::chrono::seconds(20));
  policy.node_overcommit_blames_workload = true;
  reconcile::JudgeState state;
  for (MonotonicTime now = std::chrono::seconds(0); now <= t + std::chrono::seconds(10);
       now += std::chrono::seconds(7)) {
    reconcile::Judgement j = reconcile::Judge(w, policy, state, now);
    if (j.verdict.message.find('\n') != std::string::npos) __builtin_trap();
    state = std::move(j.state);
  }
  return 0;
}
