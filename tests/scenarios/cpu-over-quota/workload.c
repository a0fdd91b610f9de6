/* Incident: demand above the quota. Two threads that want a core each, under a 100m limit:
 * throttled in nearly every CFS period, getting a tenth of the CPU time it wants.
 * usage: workload [THREADS]; runs until killed. */
#include "../cpu-burn.h"

static void* burn(void* arg) {
  (void)arg;
  for (;;) spin_for(1);
  return NULL;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  for (int i = 1; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, burn, NULL) != 0) die("pthread_create");
  }
  burn(NULL);
}
