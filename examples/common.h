/* Helpers shared by the example workloads (and, through tests/scenarios/common.h, the
 * scenario workloads): a data file created from inside the cgroup the
 * workload runs in (so its page cache is charged there), progress lines, a clock. */
#ifndef GT_EXAMPLES_COMMON_H
#define GT_EXAMPLES_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static inline double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void die(const char* what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

/* Creates `bytes` of non-zero data in a new file under `dir` with O_DIRECT, so that writing
 * it leaves no dirty page cache behind (the limit then only sees what the workload reads),
 * and unlinks it at once: nothing is left on disk whatever ends the run. Returns the fd. */
static inline int create_data_file(const char* dir, long bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/groundtruth-example-%d.dat", dir, (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT, 0600);
  int direct = 1;
  if (fd < 0 && errno == EINVAL) { /* a filesystem without O_DIRECT */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    direct = 0;
  }
  if (fd < 0) die(path);
  unlink(path);
  void* chunk = NULL;
  if (posix_memalign(&chunk, 4096, MIB) != 0) die("posix_memalign");
  for (long i = 0; i < MIB; i++) ((unsigned char*)chunk)[i] = (unsigned char)(i * 131 + 7);
  for (long off = 0; off < bytes; off += MIB) {
    if (pwrite(fd, chunk, MIB, off) != MIB) die("pwrite");
  }
  free(chunk);
  if (!direct) {
    fdatasync(fd);
    posix_fadvise(fd, 0, bytes, POSIX_FADV_DONTNEED);
  }
  /* Reopen without O_DIRECT for the workload's own reads. */
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int rfd = open(proc, O_RDONLY);
  if (rfd < 0) die("reopen data file");
  close(fd);
  return rfd;
}

#endif
