/* Incident: file-page thrashing without an OOM kill. 40 MiB of anonymous memory kept hot
 * and a 40 MiB file re-read through mmap, under a 64 MiB limit: the file's pages are evicted
 * and faulted back in on every pass, and the process stalls in reclaim.
 * usage: workload [DATA_DIR]; runs until killed. */
#include <sys/mman.h>

#include "../common.h"

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  const long anon_bytes = 40 * MIB, file_bytes = 40 * MIB;
  const long page = sysconf(_SC_PAGESIZE);
  unsigned char* anon =
      mmap(NULL, anon_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED) die("mmap anonymous");
  memset(anon, 1, anon_bytes);
  int fd = create_data_file(dir, file_bytes);
  const unsigned char* file = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (file == MAP_FAILED) die("mmap data file");
  uint64_t sum = 0;
  for (long pass = 1;; pass++) {
    const double start = now_seconds();
    for (long off = 0; off < file_bytes; off += page) sum += file[off];
    for (long off = 0; off < anon_bytes; off += page) anon[off]++;
    printf("thrash pass %ld: %.2fs (%llu)\n", pass, now_seconds() - start,
           (unsigned long long)(sum & 0xff));
    fflush(stdout);
  }
}
