/* Look-alike: an idle container (a worker waiting for jobs): one sleeping process.
 * usage: workload; runs until killed. */
#include "../common.h"

int main(void) {
  for (;;) sleep_seconds(3600);
}
