/* The healthy control: streams a 200 MiB file through the page cache with read(), pass after
 * pass, under a 64 MiB limit. The cache fills the limit, the kernel evicts old pages (the
 * limit is hit: failcnt / memory.events max rise, refaults happen), yet nothing waits on
 * memory: reclaiming clean, cold cache is cheap. Working set near the limit is not a verdict.
 *
 * It reads at a steady pace (default 64 MiB/s), as a consumer that does work on its data
 * does: the point is a cache that cycles through the limit, not a reclaim benchmark.
 *
 * usage: stream [DATA_DIR] [MIB_PER_S]   (default /var/tmp, 64). Runs until killed. */
#include "../common.h"

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  const double rate = argc > 2 ? atof(argv[2]) : 64.0;
  const long file_bytes = 200 * MIB;
  int fd = create_data_file(dir, file_bytes);
  posix_fadvise(fd, 0, file_bytes, POSIX_FADV_SEQUENTIAL);
  char* buf = malloc(MIB);
  if (buf == NULL) die("malloc");
  printf("stream: re-reading a %ld MiB file via read() at %.0f MiB/s, data in %s\n",
         file_bytes / MIB, rate, dir);
  fflush(stdout);
  uint64_t sum = 0;
  const double begin = now_seconds();
  double read_mib = 0;
  for (long pass = 1;; pass++) {
    const double start = now_seconds();
    for (off_t off = 0; off < file_bytes;) {
      ssize_t n = pread(fd, buf, MIB, off);
      if (n <= 0) die("pread");
      for (ssize_t i = 0; i < n; i += 64) sum += (unsigned char)buf[i];
      off += n;
      read_mib += (double)n / MIB;
      const double ahead = read_mib / rate - (now_seconds() - begin);
      if (ahead > 0) usleep((useconds_t)(ahead * 1e6));
    }
    const double took = now_seconds() - start;
    printf("pass %ld: %.0f MiB/s (checksum %llu)\n", pass, (double)file_bytes / MIB / took,
           (unsigned long long)(sum & 0xffff));
    fflush(stdout);
  }
}
