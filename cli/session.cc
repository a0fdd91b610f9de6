#include "cli/session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "common/duration.h"

namespace gt::cli {
namespace {

using std::chrono::nanoseconds;

int g_signal_pipe[2] = {-1, -1};
std::atomic<int> g_last_interrupt{0};

void OnSignal(int sig) {
  const int saved = errno;
  if (sig == SIGINT || sig == SIGTERM) g_last_interrupt.store(sig);
  const char byte = static_cast<char>(sig);
  (void)!::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

std::optional<double> PsiShare(const std::optional<Pressure>& prev,
                               const std::optional<Pressure>& cur, bool full, double micros) {
  if (!prev || !cur || micros <= 0) return std::nullopt;
  const std::optional<PressureLine>& a =
      full ? prev->full : std::optional<PressureLine>(prev->some);
  const std::optional<PressureLine>& b = full ? cur->full : std::optional<PressureLine>(cur->some);
  if (!a || !b || b->total_us < a->total_us) return std::nullopt;
  return 100.0 * static_cast<double>(b->total_us - a->total_us) / micros;
}

reconcile::WorkloadObservation MakeObservation(const SessionConfig& config,
                                               const std::vector<CgroupReading>& readings,
                                               const std::vector<NodeReading>& nodes,
                                               MonotonicTime since) {
  reconcile::WorkloadObservation obs;
  obs.generation = 1;
  obs.observing_since = since;
  reconcile::ContainerObservation c;
  c.container = config.container;
  c.pod = config.pod;
  c.node = config.node;
  c.declared = config.declared;
  c.limits_declared = config.limits_declared;
  c.readings = readings;
  obs.containers.push_back(std::move(c));
  if (!nodes.empty()) obs.nodes[config.node] = nodes;
  return obs;
}

std::string StatusText(const reconcile::Verdict& v) {
  return std::string(reconcile::ToString(v.status)) + "/" + v.reason;
}

}  // namespace

Result<SignalPipe*> SignalPipe::Install() {
  static SignalPipe instance;
  if (g_signal_pipe[0] >= 0) return &instance;
  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return MakeError(ErrorCode::kIo, "cannot create the signal pipe");
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a signal must wake poll()
  for (int sig : {SIGINT, SIGTERM, SIGCHLD}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return &instance;
}

int SignalPipe::fd() const { return g_signal_pipe[0]; }

bool SignalPipe::DrainInterrupted() {
  char buf[64];
  while (::read(g_signal_pipe[0], buf, sizeof buf) > 0) {
  }
  return g_last_interrupt.load() != 0;
}

int SignalPipe::last_interrupt() const { return g_last_interrupt.load(); }

LiveFigures FiguresFrom(const CgroupReading* prev, const CgroupReading& cur) {
  LiveFigures f;
  f.working_set_bytes = cur.memory.working_set_bytes();
  f.memory_limit_bytes = cur.memory.limit_bytes;
  f.oom_kills = cur.memory.events_oom_kill;
  if (prev == nullptr) return f;
  const double micros = std::chrono::duration<double, std::micro>(cur.time - prev->time).count();
  f.memory_psi_some = PsiShare(prev->memory.pressure, cur.memory.pressure, false, micros);
  f.memory_psi_full = PsiShare(prev->memory.pressure, cur.memory.pressure, true, micros);
  if (micros > 0 && cur.cpu.usage_us >= prev->cpu.usage_us) {
    f.cpu_cores = static_cast<double>(cur.cpu.usage_us - prev->cpu.usage_us) / micros;
  }
  if (cur.cpu.quota_us && cur.cpu.nr_periods > prev->cpu.nr_periods &&
      cur.cpu.nr_throttled >= prev->cpu.nr_throttled) {
    f.cpu_throttled = static_cast<double>(cur.cpu.nr_throttled - prev->cpu.nr_throttled) /
                      static_cast<double>(cur.cpu.nr_periods - prev->cpu.nr_periods);
  } else if (cur.cpu.quota_us) {
    f.cpu_throttled = 0;
  }
  return f;
}

Result<SessionResult> Observe(const SessionConfig& config, collectors::CgroupReader& cgroup,
                              collectors::NodeReader* node, Clock& clock, SignalPipe& signals,
                              LiveLine& live, const SessionHooks& hooks) {
  const reconcile::Policy policy = reconcile::WithWindow(config.policy, config.window);
  std::vector<CgroupReading> readings;
  std::vector<NodeReading> nodes;
  reconcile::JudgeState state;
  SessionResult result;
  result.last_transition = clock.Wall();
  std::optional<reconcile::ConditionStatus> last_status;
  if (config.baseline) readings.push_back(*config.baseline);

  // One sample: cgroup, node, incremental verdict, live line. False when the cgroup is gone.
  auto sample = [&]() -> Result<bool> {
    const MonotonicTime now = clock.Monotonic();
    Result<CgroupReading> reading = cgroup.Read(now);
    if (!reading) {
      if (reading.error().gone()) return false;
      return reading.error();
    }
    readings.push_back(std::move(*reading));
    const NodeReading* node_reading = nullptr;
    if (node != nullptr) {
      if (Result<NodeReading> n = node->Read(now); n) {
        nodes.push_back(std::move(*n));
        node_reading = &nodes.back();
      }
    }
    if (hooks.on_reading) hooks.on_reading(readings.back(), node_reading);
    reconcile::Judgement j = reconcile::Judge(
        MakeObservation(config, readings, nodes, readings.front().time), policy, state, now);
    state = std::move(j.state);
    if (last_status != j.verdict.status) {
      if (last_status) result.last_transition = clock.Wall();
      last_status = j.verdict.status;
    }
    result.verdict = std::move(j.verdict);
    LiveFigures figures = FiguresFrom(
        readings.size() > 1 ? &readings[readings.size() - 2] : nullptr, readings.back());
    figures.container = config.container;
    figures.elapsed = readings.back().time - readings.front().time;
    figures.window = config.window;
    figures.status = StatusText(result.verdict);
    live.Show(figures);
    return true;
  };

  Result<bool> first = sample();
  if (!first) return first.error();
  if (!*first) {
    return MakeError(ErrorCode::kGone, "the cgroup vanished before it could be read",
                     cgroup.relative_path());
  }
  // The window counts from the first reading of the running workload, not from the
  // baseline: per-process readings (the network namespace's counters) cannot exist before
  // the workload does, and a rule whose window is the whole run needs them all along it.
  const MonotonicTime start = readings.back().time;
  const MonotonicTime deadline = start + config.window;
  MonotonicTime next = start + config.interval;

  for (;;) {
    const MonotonicTime target = std::min(next, deadline);
    const MonotonicTime now = clock.Monotonic();
    if (now < target) {
      pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {hooks.watch_fd, POLLIN, 0}};
      const nfds_t count = hooks.watch_fd >= 0 ? 2 : 1;
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(target - now);
      const int ready = ::poll(fds, count, static_cast<int>(wait.count()));
      if (ready > 0 && count == 2 && (fds[1].revents & (POLLIN | POLLHUP)) && hooks.on_readable) {
        hooks.on_readable();
      }
      if (signals.DrainInterrupted()) {
        result.end = SessionEnd::kInterrupted;
        break;
      }
      if (hooks.workload_exited && hooks.workload_exited()) {
        // The cgroup still exists until the sandbox goes: one last reading catches what
        // the exit left behind (an OOM kill, the final counters).
        Result<bool> last = sample();
        if (!last) return last.error();
        result.end = SessionEnd::kWorkloadExited;
        break;
      }
      if (clock.Monotonic() < target) continue;
    }
    Result<bool> ok = sample();
    if (!ok) return ok.error();
    if (!*ok) {
      result.end = SessionEnd::kCgroupGone;
      break;
    }
    if (readings.back().time >= deadline) {
      result.end = SessionEnd::kWindowComplete;
      break;
    }
    while (next <= clock.Monotonic()) next += config.interval;
  }
  live.Clear();

  result.readings = readings.size();
  result.enforced = reconcile::EnforcedBy(readings.back());
  result.observed = readings.back().time - readings.front().time;
  result.judged_window = config.window;
  const auto observed_s = std::chrono::duration_cast<std::chrono::seconds>(result.observed);
  if ((result.end == SessionEnd::kWorkloadExited || result.end == SessionEnd::kCgroupGone) &&
      observed_s < config.window) {
    // The workload is over: what was seen is all there will be. Judge it on the time it ran
    // rather than leave it Observing forever.
    const std::chrono::seconds judged = std::max(observed_s, std::chrono::seconds(1));
    const reconcile::Policy shortened = reconcile::WithWindow(config.policy, judged);
    reconcile::Judgement j =
        reconcile::Judge(MakeObservation(config, readings, nodes, readings.front().time), shortened,
                         reconcile::JudgeState{}, readings.back().time);
    if (last_status != j.verdict.status) result.last_transition = clock.Wall();
    result.verdict = std::move(j.verdict);
    result.judged_window = judged;
    result.notes.push_back(
        std::string(result.end == SessionEnd::kWorkloadExited ? "the workload exited"
                                                              : "the cgroup was removed") +
        " after " + FormatDurationForPeople(result.observed) + ", before the " +
        FormatDurationForPeople(config.window) + " window; judged on the " +
        FormatDurationForPeople(judged) + " observed (every rule window scaled to it)");
  } else if (result.end == SessionEnd::kInterrupted) {
    result.notes.push_back("interrupted after " + FormatDurationForPeople(result.observed) +
                           " of the " + FormatDurationForPeople(config.window) + " window");
  }
  return result;
}

}  // namespace gt::cli
