/* A tiny static probe run inside test containers (built by integration/dockerd-security.test.ts):
 *   sectest ids          real and effective uid, and NoNewPrivs from /proc/self/status
 *   sectest keyctl       keyctl(KEYCTL_JOIN_SESSION_KEYRING): "ok" or the errno's name
 *   sectest bind PORT    bind a TCP socket on 0.0.0.0:PORT: "bound" or the error
 *   sectest ping ADDR    one ICMP echo over an unprivileged ICMP datagram socket: "pong" or the error */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("%s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
  return 1;
}

static int ids(void) {
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  printf("uid=%d euid=%d", (int)getuid(), (int)geteuid());
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "NoNewPrivs:", 11) == 0) printf(" nnp=%d", atoi(line + 11));
  printf("\n");
  return 0;
}

static int bind_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
  if (s < 0) return fail("socket");
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return fail("bind");
  printf("bound\n");
  return 0;
}

static int ping(const char *addr) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  struct icmphdr h = {.type = ICMP_ECHO, .un.echo.sequence = htons(1)};
  struct timeval tv = {.tv_sec = 3};
  char buf[256];
  int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (s < 0) return fail("socket");
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) return fail("address");
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (sendto(s, &h, sizeof h, 0, (struct sockaddr *)&a, sizeof a) < 0) return fail("sendto");
  ssize_t n = recv(s, buf, sizeof buf, 0);
  if (n < (ssize_t)sizeof h) return fail("recv");
  if (((struct icmphdr *)buf)->type != ICMP_ECHOREPLY) return printf("not a reply\n"), 1;
  printf("pong\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "ids") == 0) return ids();
  if (argc >= 2 && strcmp(argv[1], "keyctl") == 0) {
    if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0) return fail("keyctl");
    printf("ok\n");
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "bind") == 0) return bind_port(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "ping") == 0) return ping(argv[2]);
  fprintf(stderr, "usage: sectest ids | keyctl | bind PORT | ping ADDR\n");
  return 2;
}
