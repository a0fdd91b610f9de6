/* Look-alike: short parallel bursts above the quota. Every 400 ms, two threads each spin
 * for 60 ms of wall time under a 1000m limit (100 ms per 100 ms period): the burst wants
 * 120 ms of CPU in one period, so that period is throttled, and often the next one too.
 * Throttled periods come out near the mixin's 25%, but usage is about a third of the quota
 * and the request is served a few ms late: no sustained throttling.
 * usage: workload; runs until killed. */
#include "../cpu-burn.h"

static pthread_barrier_t g_start;

static void* burst(void* arg) {
  (void)arg;
  for (;;) {
    pthread_barrier_wait(&g_start);
    spin_for(0.06);
  }
  return NULL;
}

int main(void) {
  pthread_barrier_init(&g_start, NULL, 2);
  pthread_t t;
  if (pthread_create(&t, NULL, burst, NULL) != 0) die("pthread_create");
  const double start = now_seconds();
  for (long n = 1;; n++) {
    pthread_barrier_wait(&g_start);
    spin_for(0.06);
    const double due = start + 0.4 * (double)n;
    const double now = now_seconds();
    if (due > now) sleep_seconds(due - now);
  }
}
