/* Look-alike: CPU-bound but under its quota. One thread busy 30% of each 100 ms under a
 * 1000m limit: steady use, the quota never reached, no throttling.
 * usage: workload; runs until killed. */
#include "../cpu-burn.h"

int main(void) {
  for (;;) {
    spin_for(0.03);
    sleep_seconds(0.07);
  }
}
