/* Incident: a TCP sender on a lossy path. `client HOST PORT` streams data to `server PORT`
 * as fast as TCP allows; the path between the suite's two network namespaces drops a share
 * of packets at random (nftables `numgen random`), so segments are retransmitted.
 * usage: workload server PORT | workload client HOST PORT; runs until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "../common.h"

static int serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 16) != 0) die("bind/listen");
  signal(SIGCHLD, SIG_IGN);
  char buf[65536];
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    if (fork() == 0) {
      while (read(c, buf, sizeof buf) > 0) {
      }
      _exit(0);
    }
    close(c);
  }
}

static int send_forever(const char* host, int port) {
  signal(SIGPIPE, SIG_IGN);
  char buf[16384];
  memset(buf, 'x', sizeof buf);
  for (long attempt = 0;; attempt++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
      fprintf(stderr, "tcp: bad address %s\n", host);
      return 3;
    }
    if (connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
      close(s);
      sleep_seconds(0.2);
      continue;
    }
    printf("tcp: connected to %s:%d\n", host, port);
    fflush(stdout);
    while (write(s, buf, sizeof buf) > 0) {
    }
    close(s);
  }
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) return serve(atoi(argv[2]));
  if (argc == 4 && strcmp(argv[1], "client") == 0) return send_forever(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: workload server PORT | workload client HOST PORT\n");
  return 3;
}
