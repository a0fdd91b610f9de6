/* Look-alike: a 200 MiB file streamed with read() through a 64 MiB limit. Every pass evicts
 * the previous one's pages (refaults, failcnt rising, page cache at the limit), yet nothing
 * waits on reclaim: clean page cache is cheap to drop. Paced at 40 MiB/s, a log shipper's
 * or backup's rate, so that it does not compete for the disk with the machine's other work.
 * usage: workload [DATA_DIR]; runs until killed. */
#include "../common.h"

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  const long file_bytes = 200 * MIB, chunk = MIB;
  const double mib_per_s = 40;
  int fd = create_data_file(dir, file_bytes);
  char* buf = malloc(chunk);
  if (buf == NULL) die("malloc");
  uint64_t sum = 0;
  const double start = now_seconds();
  long total = 0;
  for (long pass = 1;; pass++) {
    for (long off = 0; off < file_bytes; off += chunk) {
      if (pread(fd, buf, chunk, off) != chunk) die("pread");
      sum += (unsigned char)buf[off % 4096];
      total++;
      const double due = start + (double)total / mib_per_s;
      const double now = now_seconds();
      if (due > now) sleep_seconds(due - now);
    }
    printf("stream pass %ld (%llu)\n", pass, (unsigned long long)(sum & 0xff));
    fflush(stdout);
  }
}
