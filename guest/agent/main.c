/* banger-agent: answers the banger host daemon from inside a guest, over vsock
 * (or, without vsock, a multiplexed virtio-serial port), without the guest's
 * network. Newline-delimited JSON requests; see handlers.c and docs/guest-agent.md.
 * One thread, one poll() loop; it never exits on its own once started. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "pty.h"
#include "session.h"
#include "transport_serial.h"
#include "transport_vsock.h"

#define USAGE "usage: banger-agent [--vsock-port N] [--serial PATH] [--root DIR] [--detach] [--version] [--help]\n"

/* 1 .. 2^32-2: VMADDR_PORT_ANY (2^32-1) is not a port one can listen on. */
static int parse_port(const char *s, unsigned *port) {
  if (!s || *s < '0' || *s > '9') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v == 0 || v >= 0xFFFFFFFFull) return -1;
  *port = (unsigned)v;
  return 0;
}

/* Started with fd 0, 1 or 2 closed (as a daemon may be), the first socket would
 * take that number and logs would be written into it: fill them with /dev/null. */
static void keep_std_fds(void) {
  for (;;) {
    int fd = open("/dev/null", O_RDWR);
    if (fd > 2) close(fd);
    if (fd < 0 || fd > 2) return;
  }
}

/* Started from an initramfs just before its switch_root, the agent would keep the
 * initramfs (emptied by switch_root) as its root, and lose /proc, /sys and /dev.
 * --root makes the new root its own first. Failing that, it still serves. */
static void enter_root(const char *dir) {
  if (chroot(dir) != 0 || chdir("/") != 0) agent_log("cannot enter root %s: %s; staying where it is", dir, strerror(errno));
}

/* --detach: go on in a child and let the caller continue only now. An init that
 * started the agent with `&` could reach switch_root before the agent ran its
 * chroot, and the agent would then enter an emptied directory: no /sys, /dev or
 * /proc, so no serial port to find and a vsock it could not check. */
static void detach(void) {
  pid_t pid = fork();
  if (pid < 0) {
    agent_log("cannot fork: %s; serving in the foreground", strerror(errno));
    return;
  }
  if (pid > 0) _exit(0);
  setsid();
}

/* Fills t with the transports to serve; returns how many. With --serial, that
 * channel only. Otherwise vsock when it is usable and, beside it, the
 * virtio-serial port whenever it appears: whether a loaded guest has a vsock
 * device cannot always be told at start (the kernel may accept a listener
 * before it knows), so the agent never bets on one and serves both. */
static int choose(const char *serial, unsigned port, const struct transport *t[2]) {
  if (serial) {
    t[0] = serial_transport(serial, port, false);
    return 1;
  }
  int n = 0;
  if (vsock_listen(port) == 0) {
    agent_log("listening on vsock port %u, and on the virtio-serial port if one appears", port);
    t[n++] = &vsock_transport;
  } else {
    agent_log("vsock unavailable (%s); using the virtio-serial port", strerror(errno));
  }
  t[n] = serial_transport(NULL, port, n > 0);
  return n + 1;
}

int main(int argc, char **argv) {
  unsigned port = AGENT_DEFAULT_PORT;
  const char *serial = NULL, *root = NULL;
  bool background = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--version") == 0) {
      printf("%s %d\n", AGENT_NAME, AGENT_PROTOCOL);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0) {
      fputs(USAGE, stdout);
      return 0;
    } else if (strcmp(argv[i], "--vsock-port") == 0 && parse_port(argv[i + 1], &port) == 0) {
      i++;
    } else if (strcmp(argv[i], "--serial") == 0 && i + 1 < argc && argv[i + 1][0]) {
      serial = argv[++i];
    } else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc && argv[i + 1][0]) {
      root = argv[++i];
    } else if (strcmp(argv[i], "--detach") == 0) {
      background = true;
    } else {
      fprintf(stderr, "banger-agent: bad argument '%s'\n" USAGE, argv[i]);
      return 2;
    }
  }
  keep_std_fds();
  /* A peer that goes away mid-write must cost one connection, not the agent. */
  signal(SIGPIPE, SIG_IGN);

  if (root) enter_root(root);
  if (background) detach();
  sessions_init();
  const struct transport *t[2];
  int count = choose(serial, port, t);
  /* Each transport's share of the fds: vsock (listener + its connections), then serial (one channel). */
  struct pollfd fds[TRANSPORT_MAX_FDS + 1 + SESSIONS_MAX_FDS + PTY_MAX_FDS];
  for (;;) {
    int timeout = -1, n = 0, given[2];
    for (int i = 0; i < count; i++) n += given[i] = t[i]->prepare(fds + n, &timeout);
    /* Sessions first: their prepare reaps every child, terminals' included. */
    int m = sessions_prepare(fds + n, SESSIONS_MAX_FDS, &timeout);
    int k = pty_prepare(fds + n + m, PTY_MAX_FDS, &timeout);
    if (poll(fds, (nfds_t)(n + m + k), timeout) < 0) {
      if (errno != EINTR) {
        agent_log("poll: %s", strerror(errno));
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL); /* never spin */
      }
      continue;
    }
    for (int i = 0, at = 0; i < count; at += given[i++]) t[i]->dispatch(fds + at, given[i]);
    sessions_dispatch(fds + n, m);
    pty_dispatch(fds + n + m, k);
  }
}
