/* CPU work for the CPU scenarios: spin for a given wall time, on several threads. */
#ifndef GT_SCENARIOS_CPU_BURN_H
#define GT_SCENARIOS_CPU_BURN_H

#include <pthread.h>

#include "common.h"

static volatile uint64_t g_sink;

/* Spins until `seconds` of wall time have passed. */
static inline void spin_for(double seconds) {
  const double end = now_seconds() + seconds;
  uint64_t x = 1;
  while (now_seconds() < end) {
    for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  g_sink = x;
}

/* Spins until the calling thread has used `seconds` of CPU time, however long that takes on
 * a busy machine: a burst is an amount of work, not of wall time. */
static inline void spin_cpu(double seconds) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  const double end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + seconds;
  uint64_t x = 1;
  for (;;) {
    for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    if ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 >= end) break;
  }
  g_sink = x;
}

#endif
