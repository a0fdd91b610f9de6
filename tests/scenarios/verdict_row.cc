// One row of docs/verdict-quality.md from one scenario run: groundtruth's verdict (the
// `run --output json` document), the detection latency (the Judge replayed over the
// `run --record` samples, reading by reading, as `run` itself judges), and what the naive
// rules would have said on the very same samples.
//
// usage: gt_scenario_row --scenario NAME --expect Compliant|REASON --window SECONDS
//                        --record FILE --result FILE
// Prints one Markdown table row; exit 0 when groundtruth's verdict is the expected one, 1 when
// it is not, 3 on bad input.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/reading.h"
#include "reconcile/judge.h"
#include "reconcile/policy.h"
#include "tests/scenarios/record.h"
#include "wire/samples.h"

namespace gt::scenarios {
namespace {

struct Args {
  std::string scenario, expect, record, result;
  int window_s = 0;
};

double Seconds(MonotonicTime d) { return std::chrono::duration<double>(d).count(); }

// The newest reading at least `window` older than readings[i], if any.
std::optional<size_t> WindowStart(const std::vector<CgroupReading>& r, size_t i,
                                  std::chrono::seconds window) {
  std::optional<size_t> j;
  for (size_t k = 0; k < i; k++) {
    if (r[i].time - r[k].time >= window) j = k;
  }
  return j;
}

// A ratio of two counter deltas between readings j and i, at every evaluation point i whose
// window is covered (or over the whole run when it never is): true when any exceeds `above`.
template <typename Num, typename Den>
bool AnyWindowAbove(const std::vector<CgroupReading>& r, std::chrono::seconds window, double above,
                    Num num, Den den) {
  bool covered = false;
  for (size_t i = 1; i < r.size(); i++) {
    std::optional<size_t> j = WindowStart(r, i, window);
    if (!j) continue;
    covered = true;
    const double d = den(r[*j], r[i]);
    if (d > 0 && num(r[*j], r[i]) / d > above) return true;
  }
  if (!covered && r.size() > 1) {
    const double d = den(r.front(), r.back());
    return d > 0 && num(r.front(), r.back()) / d > above;
  }
  return false;
}

double Delta(uint64_t a, uint64_t b) { return b >= a ? static_cast<double>(b - a) : 0; }

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, share >= 0.095 || share == 0 ? "%.0f%%" : "%.1f%%", share * 100);
  return buf;
}

// Whole-run figures for the thresholds check: what each rule's signal averaged to.
std::string Figures(const std::vector<CgroupReading>& r) {
  if (r.size() < 2) return "too few samples";
  const CgroupReading& a = r.front();
  const CgroupReading& b = r.back();
  const double us = Seconds(b.time - a.time) * 1e6;
  std::vector<std::string> parts;
  auto psi = [&](const std::optional<Pressure>& x, const std::optional<Pressure>& y, bool full) {
    if (!x || !y) return std::optional<double>();
    if (full && (!x->full || !y->full)) return std::optional<double>();
    const uint64_t t0 = full ? x->full->total_us : x->some.total_us;
    const uint64_t t1 = full ? y->full->total_us : y->some.total_us;
    return std::optional<double>(Delta(t0, t1) / us);
  };
  if (auto s = psi(a.memory.pressure, b.memory.pressure, false)) {
    parts.push_back("mem PSI some " + Percent(*s) + " full " +
                    Percent(psi(a.memory.pressure, b.memory.pressure, true).value_or(0)));
  }
  uint64_t ws_peak = 0;
  double d_peak = 0;
  for (size_t i = 0; i < r.size(); i++) {
    ws_peak = std::max(ws_peak, r[i].memory.working_set_bytes());
    // The longest stretch one thread (pid, tid, start time) was seen in D.
    for (const BlockedThread& t : r[i].blocked) {
      size_t k = i;
      while (k + 1 < r.size() && std::any_of(r[k + 1].blocked.begin(), r[k + 1].blocked.end(),
                                             [&](const BlockedThread& u) {
                                               return u.tid == t.tid &&
                                                      u.start_time_ticks == t.start_time_ticks;
                                             })) {
        k++;
      }
      d_peak = std::max(d_peak, Seconds(r[k].time - r[i].time));
    }
  }
  if (b.memory.limit_bytes) {
    parts.push_back("WS peak " + Percent(static_cast<double>(ws_peak) /
                                         static_cast<double>(*b.memory.limit_bytes)));
  }
  char buf[64];
  std::snprintf(
      buf, sizeof buf, "refaults %.0f/s",
      Delta(a.memory.workingset_refault_file, b.memory.workingset_refault_file) / (us / 1e6));
  parts.push_back(buf);
  if (b.cpu.quota_us) {
    const double periods = Delta(a.cpu.nr_periods, b.cpu.nr_periods);
    parts.push_back(
        "throttled " +
        Percent(periods > 0 ? Delta(a.cpu.nr_throttled, b.cpu.nr_throttled) / periods : 0) +
        " of periods, usage " +
        Percent(Delta(a.cpu.usage_us, b.cpu.usage_us) / us /
                (static_cast<double>(*b.cpu.quota_us) / static_cast<double>(b.cpu.period_us))) +
        " of quota");
  }
  if (auto s = psi(a.cpu.pressure, b.cpu.pressure, false))
    parts.push_back("CPU PSI some " + Percent(*s));
  if (auto s = psi(a.io.pressure, b.io.pressure, true))
    parts.push_back("IO PSI full " + Percent(*s));
  if (d_peak > 0) {
    std::snprintf(buf, sizeof buf, "one thread in D for %.0fs", d_peak);
    parts.push_back(buf);
  }
  if (b.pids.events_max > a.pids.events_max) {
    parts.push_back("forks refused " + std::to_string(b.pids.events_max - a.pids.events_max));
  }
  if (a.net && b.net) {
    const double out = Delta(a.net->tcp_out_segs, b.net->tcp_out_segs);
    parts.push_back(
        "TCP retrans " +
        Percent(out > 0 ? Delta(a.net->tcp_retrans_segs, b.net->tcp_retrans_segs) / out : 0) +
        " of " + std::to_string(static_cast<uint64_t>(out)) + " segs");
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// The Judge fed the record reading by reading, as `run` feeds it.
struct Replay {
  std::string latency;      // when the expected violation was first reported, e.g. "12s"
  std::string first_false;  // the first violation reported at all, "Reason from 5s"
  std::string verdict;      // the first False verdict, else the final one: "False/Reason"
};

Replay ReplayJudge(const Recorded& rec, const reconcile::Policy& policy,
                   const std::string& expect) {
  Replay out;
  const std::vector<CgroupReading>& r = rec.cgroup;
  if (r.empty()) return out;
  reconcile::DeclaredLimits declared;
  declared.memory_limit_bytes = r.back().memory.limit_bytes;
  if (r.back().cpu.quota_us && r.back().cpu.period_us > 0) {
    declared.cpu_limit_millicores = *r.back().cpu.quota_us * 1000 / r.back().cpu.period_us;
  }
  declared.pids_limit = r.back().pids.limit;
  reconcile::JudgeState state;
  reconcile::WorkloadObservation obs;
  obs.generation = 1;
  obs.observing_since = r.front().time;
  obs.containers.push_back({"workload", "run", "node", declared, /*host_network=*/false, {}});
  size_t n = 0;
  for (const CgroupReading& reading : r) {
    obs.containers[0].readings.push_back(reading);
    while (n < rec.node.size() && rec.node[n].time <= reading.time) {
      obs.nodes["node"].push_back(rec.node[n++]);
    }
    reconcile::Judgement j = reconcile::Judge(obs, policy, state, reading.time);
    state = std::move(j.state);
    const std::string verdict =
        std::string(reconcile::ToString(j.verdict.status)) + "/" + j.verdict.reason;
    if (out.first_false.empty()) out.verdict = verdict;
    if (j.verdict.status != reconcile::ConditionStatus::kFalse) continue;
    char at[32];
    std::snprintf(at, sizeof at, "%.0fs", Seconds(reading.time - r.front().time));
    if (out.first_false.empty()) out.first_false = j.verdict.reason + " from " + at;
    const bool found =
        std::any_of(j.verdict.evidence.begin(), j.verdict.evidence.end(),
                    [&](const reconcile::Evidence& e) { return e.reason == expect; });
    if (found && out.latency.empty()) out.latency = at;
  }
  return out;
}

int Main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--scenario")
      args.scenario = value;
    else if (flag == "--expect")
      args.expect = value;
    else if (flag == "--record")
      args.record = value;
    else if (flag == "--result")
      args.result = value;
    else if (flag == "--window")
      args.window_s = std::atoi(value.c_str());
    else {
      std::cerr << "gt_scenario_row: unknown flag " << flag << "\n";
      return 3;
    }
  }
  if (args.scenario.empty() || args.expect.empty() || args.record.empty() || args.result.empty() ||
      args.window_s <= 0) {
    std::cerr << "usage: gt_scenario_row --scenario NAME --expect Compliant|REASON --window "
                 "SECONDS --record FILE --result FILE\n";
    return 3;
  }

  std::string status = "(no result)", reason, message;
  try {
    std::ifstream in(args.result);
    nlohmann::json doc = nlohmann::json::parse(in);
    status = doc.at("condition").at("status").get<std::string>();
    reason = doc.at("condition").at("reason").get<std::string>();
    message = doc.at("condition").value("message", "");
  } catch (const std::exception& e) {
    std::cerr << "gt_scenario_row: " << args.result << ": " << e.what() << "\n";
  }
  const bool want_compliant = args.expect == "Compliant";
  const bool pass = want_compliant ? (status == "True" && reason == "Compliant")
                                   : (status == "False" && reason == args.expect);

  Result<Recorded> rec = ReadRecord(args.record);
  if (!rec) {
    std::cerr << "gt_scenario_row: " << rec.error().ToString() << "\n";
    return 3;
  }
  const std::vector<CgroupReading>& r = rec->cgroup;
  const reconcile::Policy policy =
      reconcile::WithWindow(reconcile::DefaultPolicy(), std::chrono::seconds(args.window_s));

  const Replay replay = ReplayJudge(*rec, policy, args.expect);
  std::string latency = replay.latency;
  if (latency.empty()) latency = "—";
  if (replay.first_false.rfind(args.expect + " ", 0) != 0 && !replay.first_false.empty()) {
    latency += " (" + replay.first_false + ")";
  }
  // The same samples as a v1 host without the unified tree would give them: no PSI at all,
  // so the thrashing rule falls back to refaults and faults while the working set presses.
  Recorded without_psi = *rec;
  for (CgroupReading& x : without_psi.cgroup) {
    x.memory.pressure.reset();
    x.cpu.pressure.reset();
    x.io.pressure.reset();
  }
  const Replay no_psi = ReplayJudge(without_psi, policy, args.expect);

  // The naive rules, on the same samples and the same (scaled) windows.
  const bool ws90 = std::any_of(r.begin(), r.end(), [](const CgroupReading& x) {
    return x.memory.limit_bytes && static_cast<double>(x.memory.working_set_bytes()) >
                                       0.9 * static_cast<double>(*x.memory.limit_bytes);
  });
  const bool refaults = AnyWindowAbove(
      r, policy.memory_thrashing.window, 1000,
      [](const CgroupReading& a, const CgroupReading& b) {
        return Delta(a.memory.workingset_refault_file, b.memory.workingset_refault_file);
      },
      [](const CgroupReading& a, const CgroupReading& b) { return Seconds(b.time - a.time); });
  const bool throttling = AnyWindowAbove(
      r, policy.cpu_throttled.window, 0.25,
      [](const CgroupReading& a, const CgroupReading& b) {
        return Delta(a.cpu.nr_throttled, b.cpu.nr_throttled);
      },
      [](const CgroupReading& a, const CgroupReading& b) {
        return Delta(a.cpu.nr_periods, b.cpu.nr_periods);
      });
  bool oom = false;
  for (size_t i = 1; i < r.size(); i++) {
    oom = oom || r[i].memory.events_oom_kill > r[i - 1].memory.events_oom_kill;
  }
  const bool naive_alarm = ws90 || refaults || throttling || oom;
  const bool naive_right = naive_alarm != want_compliant;

  auto fires = [](bool f) { return std::string(f ? "**fires**" : "—"); };
  std::ostringstream row;
  row << "| " << args.scenario << " | " << (want_compliant ? "Compliant" : args.expect) << " | "
      << (status == "True" || status == "False" ? status + "/" + reason : status + "/" + reason)
      << (pass ? "" : " ✗") << " | " << latency << " | " << no_psi.verdict
      << (no_psi.verdict == (want_compliant ? "True/Compliant" : "False/" + args.expect) ? ""
                                                                                         : " ✗")
      << " | " << fires(ws90) << " | " << fires(refaults) << " | " << fires(throttling) << " | "
      << fires(oom) << " | " << (naive_alarm ? "alarm" : "quiet") << (naive_right ? "" : " ✗")
      << " | " << Figures(r) << " |";
  std::cout << row.str() << "\n";
  if (!pass)
    std::cerr << args.scenario << ": expected " << args.expect << ", got " << status << "/"
              << reason << ": " << message << "\n";
  return pass ? 0 : 1;
}

}  // namespace
}  // namespace gt::scenarios

int main(int argc, char** argv) { return gt::scenarios::Main(argc, argv); }
