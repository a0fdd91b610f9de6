/* Incident: an I/O stall. A writer whose disk is throttled to 1 MiB/s (cgroup v1
 * blkio.throttle.write_bps_device on the device backing DATA_DIR, written by the workload
 * itself into its own blkio cgroup) keeps issuing 256 KiB O_DIRECT writes: each waits about
 * a quarter of a second in the block layer, and the process does nothing else.
 * usage: workload [DATA_DIR] [BYTES_PER_S]; runs until killed. Exit 77: no blkio throttle. */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common.h"

/* The whole disk behind `dev`: blkio throttling takes disks, not partitions. */
static dev_t whole_disk(dev_t dev) {
  char path[256], buf[64];
  snprintf(path, sizeof path, "/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
  if (access(path, F_OK) != 0) return dev;
  snprintf(path, sizeof path, "/sys/dev/block/%u:%u/../dev", major(dev), minor(dev));
  FILE* f = fopen(path, "r");
  unsigned ma = 0, mi = 0;
  if (f == NULL || fgets(buf, sizeof buf, f) == NULL || sscanf(buf, "%u:%u", &ma, &mi) != 2)
    die(path);
  fclose(f);
  return makedev(ma, mi);
}

/* This process's cgroup in the v1 blkio hierarchy, from /proc/self/cgroup. */
static void own_blkio_cgroup(char* out, size_t size) {
  FILE* f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) die("/proc/self/cgroup");
  char line[1024];
  while (fgets(line, sizeof line, f) != NULL) {
    char* controllers = strchr(line, ':');
    char* path = controllers ? strchr(controllers + 1, ':') : NULL;
    if (path == NULL) continue;
    *path++ = '\0';
    path[strcspn(path, "\n")] = '\0';
    if (strstr(controllers + 1, "blkio") != NULL) {
      snprintf(out, size, "/sys/fs/cgroup/blkio%s/blkio.throttle.write_bps_device", path);
      fclose(f);
      return;
    }
  }
  fprintf(stderr, "io: no v1 blkio cgroup in /proc/self/cgroup\n");
  exit(77);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  const long bps = argc > 2 ? atol(argv[2]) : MIB;
  struct stat st;
  if (stat(dir, &st) != 0) die(dir);
  const dev_t disk = whole_disk(st.st_dev);
  char throttle[1200];
  own_blkio_cgroup(throttle, sizeof throttle);
  FILE* t = fopen(throttle, "w");
  if (t == NULL || fprintf(t, "%u:%u %ld\n", major(disk), minor(disk), bps) < 0 || fclose(t) != 0) {
    fprintf(stderr, "io: cannot throttle %u:%u in %s: %s\n", major(disk), minor(disk), throttle,
            strerror(errno));
    exit(77);
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/groundtruth-scenario-io-%d.dat", dir, (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0600);
  if (fd < 0) die(path);
  unlink(path);
  const long chunk = 256 * 1024;
  void* buf = NULL;
  if (posix_memalign(&buf, 4096, chunk) != 0) die("posix_memalign");
  memset(buf, 0x5a, chunk);
  printf("io: writing to %u:%u throttled at %ld B/s\n", major(disk), minor(disk), bps);
  fflush(stdout);
  for (long n = 0;; n++) {
    if (pwrite(fd, buf, chunk, (n % 64) * chunk) != chunk) die("pwrite");
  }
}
