/* Helpers shared by the scenario workloads: those of the example workloads (a clock, errors,
 * a data file created from inside the cgroup the workload runs in), plus a sleep. */
#ifndef GT_SCENARIOS_COMMON_H
#define GT_SCENARIOS_COMMON_H

#include "../../examples/common.h"

static inline void sleep_seconds(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

#endif
