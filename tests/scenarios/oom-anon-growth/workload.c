/* Incident: anonymous memory growing until the OOM killer ends it (a leak). 1 MiB more every
 * 20 ms, every page touched, no swap: the kernel kills it at the limit.
 * usage: workload; exits only by being killed. */
#include "../common.h"

int main(void) {
  for (long mib = 1;; mib++) {
    char* p = malloc(MIB);
    if (p == NULL) die("malloc");
    memset(p, (int)mib, MIB);
    if (mib % 8 == 0) {
      printf("oom: %ld MiB\n", mib);
      fflush(stdout);
    }
    sleep_seconds(0.02);
  }
}
