// Throwaway calibration harness (not part of the repo): reads a real hybrid cgroup with the
// project's collector every second and prints reconcile's verdict under WithWindow(20s).
#include <cstdio>
#include <thread>

#include "collectors/cgroup_reader.h"
#include "common/clock.h"
#include "reconcile/judge.h"
using namespace gt;
int main(int argc, char** argv) {
  collectors::HostPaths paths;
  auto reader = collectors::CgroupReader::Open(paths, collectors::CgroupLayout::kHybrid, argv[1]);
  if (!reader) {
    fprintf(stderr, "%s\n", reader.error().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  reconcile::Policy policy =
      reconcile::WithWindow(reconcile::DefaultPolicy(), std::chrono::seconds(atoi(argv[2])));
  reconcile::WorkloadObservation obs;
  obs.generation = 1;
  reconcile::ContainerObservation c;
  c.container = "calib";
  c.pod = "calib-0";
  c.node = "local";
  c.declared.memory_limit_bytes = 64ull << 20;
  obs.containers.push_back(c);
  reconcile::JudgeState state;
  for (int i = 0; i <= atoi(argv[3]); ++i) {
    auto r = (*reader)->Read(clock.Monotonic());
    if (!r) {
      fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    if (i == 0) obs.observing_since = r->time;
    obs.containers[0].readings.push_back(*r);
    auto j = reconcile::Judge(obs, policy, state, r->time);
    state = j.state;
    const auto& m = r->memory;
    printf(
        "t=%2d usage=%lluMi ws=%lluMi inact=%lluMi refault=%llu maj=%llu failcnt=%llu "
        "psi_some=%llu full=%llu | %s/%s: %s\n",
        i, (unsigned long long)m.usage_bytes >> 20, (unsigned long long)m.working_set_bytes() >> 20,
        (unsigned long long)m.inactive_file_bytes >> 20,
        (unsigned long long)m.workingset_refault_file, (unsigned long long)m.pgmajfault,
        (unsigned long long)m.events_max,
        m.pressure ? (unsigned long long)m.pressure->some.total_us : 0ull,
        m.pressure && m.pressure->full ? (unsigned long long)m.pressure->full->total_us : 0ull,
        std::string(reconcile::ToString(j.verdict.status)).c_str(), j.verdict.reason.c_str(),
        j.verdict.message.c_str());
    fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
