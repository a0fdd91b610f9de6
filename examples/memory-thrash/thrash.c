/* The incident: a process inside its memory limit, never OOM-killed, yet crawling.
 * It holds 40 MiB of anonymous memory that it keeps touching and re-reads a 40 MiB file
 * through mmap in a loop. Under a 64 MiB limit the two cannot both stay resident: the
 * kernel keeps evicting the file's pages and faulting them back in (refaults, major
 * faults), and the process spends its time stalled on memory (PSI) instead of working.
 *
 * usage: thrash [DATA_DIR]   (default /var/tmp; must not be tmpfs: tmpfs cannot be evicted)
 * Prints one progress line per pass; runs until killed. */
#include <sys/mman.h>

#include "../common.h"

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  const long anon_bytes = 40 * MIB;
  const long file_bytes = 40 * MIB;
  const long page = sysconf(_SC_PAGESIZE);

  unsigned char* anon = mmap(NULL, anon_bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED) die("mmap anonymous");
  memset(anon, 1, anon_bytes);

  int fd = create_data_file(dir, file_bytes);
  const unsigned char* file = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (file == MAP_FAILED) die("mmap data file");

  printf("thrash: %ld MiB anonymous + %ld MiB file re-read via mmap, data in %s\n",
         anon_bytes / MIB, file_bytes / MIB, dir);
  fflush(stdout);
  uint64_t sum = 0;
  for (long pass = 1;; pass++) {
    const double start = now_seconds();
    for (long off = 0; off < file_bytes; off += page) sum += file[off];
    for (long off = 0; off < anon_bytes; off += page) anon[off]++;
    printf("pass %ld: %.2fs (checksum %llu)\n", pass, now_seconds() - start,
           (unsigned long long)(sum & 0xffff));
    fflush(stdout);
  }
}
