/* Incident: forks refused at pids.max. A server that forks a worker per request and never
 * reaps the ones that hang: it reaches the cgroup's pids.max, and every later fork fails
 * with EAGAIN. It keeps trying, once every 200 ms, as a real server would.
 * usage: workload; runs until killed. */
#include <signal.h>

#include "../common.h"

int main(void) {
  long refused = 0, started = 0;
  for (;;) {
    const pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (pid > 0) {
      started++;
    } else if (errno == EAGAIN) {
      if (refused++ % 10 == 0) {
        printf("pids: %ld workers, fork refused %ld times\n", started, refused);
        fflush(stdout);
      }
    } else {
      die("fork");
    }
    sleep_seconds(0.2);
  }
}
