/* Incident: a thread stuck in state D. The process vforks a child that does not exec; the
 * kernel holds the parent in an uninterruptible (killable) wait until the child exits or
 * execs, just as a thread waiting on a hung NFS or FUSE server or a dead disk sits in D.
 * The child sleeps for SECONDS (default 600) first.
 * usage: workload [SECONDS]. */
#include "../common.h"

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 600;
  printf("blocked: parent %d waits in D on a vfork child for %.0fs\n", (int)getpid(), seconds);
  fflush(stdout);
  const pid_t child = vfork();
  if (child < 0) die("vfork");
  if (child == 0) {
    /* Only async-signal-safe calls in a vfork child. */
    struct timespec ts = {(time_t)seconds, 0};
    while (nanosleep(&ts, &ts) != 0) {
    }
    _exit(0);
  }
  printf("blocked: released\n");
  return 0;
}
