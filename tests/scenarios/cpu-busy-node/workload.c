/* Incident on a saturated node: one thread that wants a whole core, under a 200m limit,
 * while two neighbours (scenario.sh) keep every core of the node busy. Throttled, and
 * waiting for a CPU besides: throttled time alone understates what it would run on an idle
 * node (a whole core), so the suggestion must count the wait (issue 16).
 * usage: workload; runs until killed. */
#include "../cpu-burn.h"

int main(void) {
  for (;;) spin_for(1);
}
