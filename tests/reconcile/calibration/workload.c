// Calibration workload: 40 MiB anonymous memory, then re-reads a file forever, either through
// mmap (thrash) or read() (stream). Creates the file itself so its page cache is charged here.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char** argv) {
  const char* mode = argv[1];
  const char* path = argv[2];
  size_t file_mb = atoi(argv[3]);
  char* anon = malloc(40 << 20);
  memset(anon, 1, 40 << 20);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char buf[1 << 20];
  memset(buf, 7, sizeof buf);
  for (size_t i = 0; i < file_mb; i++) write(fd, buf, sizeof buf);
  fsync(fd);
  size_t len = file_mb << 20;
  volatile unsigned long sum = 0;
  if (strcmp(mode, "thrash") == 0) {
    char* m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    for (;;) {
      for (size_t off = 0; off < len; off += 4096) sum += m[off];
      for (size_t off = 0; off < (40u << 20); off += 4096) anon[off]++;
    }
  } else if (strcmp(mode, "warm") == 0) {
    // Page cache fills the limit once, then a hot set that fits is re-read.
    for (;;) {
      lseek(fd, 0, SEEK_SET);
      for (int i = 0; i < 8 && read(fd, buf, sizeof buf) > 0; i++) sum += buf[0];
      for (size_t off = 0; off < (40u << 20); off += 4096) anon[off]++;
    }
  } else {
    for (;;) {
      lseek(fd, 0, SEEK_SET);
      while (read(fd, buf, sizeof buf) > 0) sum += buf[0];
      for (size_t off = 0; off < (40u << 20); off += 4096) anon[off]++;
    }
  }
}
