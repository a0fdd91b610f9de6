/* CPU-bound work on two threads: with limits.cpu 200m the CFS quota (20ms per 100ms
 * period) runs out early in nearly every period, and the threads wait for the next one.
 *
 * usage: burn [THREADS]   (default 2). Prints its rate every second; runs until killed. */
#include <pthread.h>
#include <stdatomic.h>

#include "../common.h"

static atomic_ulong g_iterations;

static void* spin(void* arg) {
  (void)arg;
  volatile uint64_t x = 1;
  for (;;) {
    for (int i = 0; i < 1000000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    atomic_fetch_add(&g_iterations, 1);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  printf("burn: %d CPU-bound threads\n", threads);
  fflush(stdout);
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, spin, NULL) != 0) die("pthread_create");
  }
  for (;;) {
    const unsigned long before = atomic_load(&g_iterations);
    sleep(1);
    printf("%lu M iterations/s\n", atomic_load(&g_iterations) - before);
    fflush(stdout);
  }
}
