/* Look-alike: brief D sleeps of ordinary I/O. A commit loop, as a small database does:
 * append 4 KiB, fdatasync, 10 times a second. Each fdatasync puts the thread in state D for
 * a few milliseconds, so samples sometimes catch it there, but it never stays.
 * usage: workload [DATA_DIR]; runs until killed. */
#include "../common.h"

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  char path[4096];
  snprintf(path, sizeof path, "%s/groundtruth-scenario-fsync-%d.dat", dir, (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) die(path);
  unlink(path);
  char record[4096];
  memset(record, 'r', sizeof record);
  const double start = now_seconds();
  for (long n = 1;; n++) {
    if (pwrite(fd, record, sizeof record, (n % 4096) * (long)sizeof record) != sizeof record) {
      die("pwrite");
    }
    if (fdatasync(fd) != 0) die("fdatasync");
    if (n % 200 == 0) {
      printf("fsync: %ld commits\n", n);
      fflush(stdout);
    }
    // 10 a second, not 20: on a slow disk (node IO PSI 24%) each fdatasync of the 20 took
    // most of its 50 ms, and the 1 s sampler saw the thread in D 16 times in a row (CI,
    // 2026-12-03): the D rule cannot yet tell many short sleeps from one long one.
    const double due = start + (double)n / 10.0;
    const double now = now_seconds();
    if (due > now) sleep_seconds(due - now);
  }
}
