/* Look-alike: a steady working set at about 85% of the limit. 54 MiB of anonymous memory
 * in a 64 MiB limit, touched every second (a cache warmed once and then read): close to the
 * limit, never pressing on it.
 * usage: workload [MIB]; runs until killed. */
#include <sys/mman.h>

#include "../common.h"

int main(int argc, char** argv) {
  const long bytes = (argc > 1 ? atol(argv[1]) : 54) * MIB;
  const long page = sysconf(_SC_PAGESIZE);
  unsigned char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  memset(p, 1, bytes);
  printf("steady: %ld MiB resident\n", bytes / MIB);
  fflush(stdout);
  for (;;) {
    for (long off = 0; off < bytes; off += page) p[off]++;
    sleep_seconds(1);
  }
}
