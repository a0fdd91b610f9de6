/* Look-alike: short bursts above the quota. Once a second a request costs 25 ms of CPU, under
 * a 100m limit (10 ms per 100 ms period): the burst spends its period's quota at once, is
 * throttled, and finishes in the third period. Three periods in ten are throttled (above the
 * mixin's 25%), yet the container uses a quarter of its quota and each request is served
 * about 200 ms late: no sustained throttling.
 * usage: workload; runs until killed. */
#include "../cpu-burn.h"

int main(void) {
  const double start = now_seconds();
  for (long n = 1;; n++) {
    spin_cpu(0.025);
    const double due = start + (double)n;
    const double now = now_seconds();
    if (due > now) sleep_seconds(due - now);
  }
}
