/* The terminals the agent runs: each a master fd, its process, the connection
 * that carries it, and the host's input not yet taken by the master. A slot is
 * free again once its master is closed and its process reaped.
 *
 * Flow: master output goes to the connection's out buffer while that holds
 * less than AGENT_OUT_HIGH_WATER (the transports send it); host input waits in
 * `in` (past PTY_INPUT_MAX vsock stops reading; see PTY_INPUT_DROP). The end:
 * the process reaped or the master reporting EIO/HUP sends what is left and
 * closes the connection; the connection closing hangs the terminal up. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "pty.h"

struct pty {
  bool used;
  char name[PTY_NAME_MAX];
  int master;        /* -1 once closed */
  pid_t pid;         /* 0 once reaped */
  struct conn *conn; /* NULL before attach and after either side ended */
  struct buf in;
  long long kill_at; /* monotonic ms for SIGKILL, 0: none */
};

static struct pty table[PTY_MAX];
static struct pty *polled[PTY_MAX_FDS];

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void release_if_done(struct pty *p) {
  if (p->master >= 0 || p->pid > 0) return;
  buf_free(&p->in);
  memset(p, 0, sizeof *p);
  p->master = -1;
}

static void signal_group(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

/* Closes the master and, if the process is still there, hangs it up. */
static void hang_up(struct pty *p) {
  if (p->master >= 0) close(p->master);
  p->master = -1;
  p->conn = NULL;
  buf_free(&p->in);
  if (p->pid > 0) {
    signal_group(p->pid, SIGHUP);
    p->kill_at = now_ms() + PTY_KILL_GRACE_MS;
  }
  release_if_done(p);
}

/* The terminal side ended: the connection closes once its output is sent. */
static void finish(struct pty *p) {
  if (p->conn) {
    p->conn->closing = true;
    p->conn->pty = -1;
  }
  hang_up(p);
}

bool pty_room(void) {
  for (int i = 0; i < PTY_MAX; i++) {
    if (!table[i].used) return true;
  }
  return false;
}

int pty_add(int master, pid_t pid, const char *name) {
  for (int i = 0; i < PTY_MAX; i++) {
    struct pty *p = &table[i];
    if (p->used) continue;
    memset(p, 0, sizeof *p);
    p->used = true;
    p->master = master;
    p->pid = pid;
    strncpy(p->name, name, PTY_NAME_MAX - 1);
    return i;
  }
  return -1;
}

int pty_find(const char *name, size_t len) {
  for (int i = 0; i < PTY_MAX; i++) {
    const struct pty *p = &table[i];
    if (p->used && p->master >= 0 && strlen(p->name) == len && memcmp(p->name, name, len) == 0) return i;
  }
  return -1;
}

int pty_resize(int slot, unsigned cols, unsigned rows) { return pty_set_size(table[slot].master, cols, rows); }

void pty_attach(int slot, struct conn *c) {
  table[slot].conn = c;
  c->pty = slot;
}

/* Writes what the master takes; if it takes nothing more (EIO), the input is dropped. */
static void flush(struct pty *p) {
  while (p->master >= 0 && p->in.len > 0) {
    ssize_t w = write(p->master, p->in.data, p->in.len);
    if (w > 0) {
      buf_consume(&p->in, (size_t)w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      buf_free(&p->in);
    }
  }
}

void pty_input(int slot, const char *data, size_t n) {
  struct pty *p = &table[slot];
  if (p->master < 0) return;
  if (n > PTY_INPUT_DROP - p->in.len) n = PTY_INPUT_DROP - p->in.len; /* in.len never passes it */
  buf_append(&p->in, data, n);
  flush(p);
}

bool pty_input_full(int slot) { return table[slot].in.len > PTY_INPUT_MAX; }

void pty_hangup(int slot) {
  struct pty *p = &table[slot];
  if (p->used) hang_up(p);
}

void pty_reaped(pid_t pid) {
  for (int i = 0; i < PTY_MAX; i++) {
    struct pty *p = &table[i];
    if (!p->used || p->pid != pid) continue;
    p->pid = 0; /* never signalled again: the pid may be reused */
    p->kill_at = 0;
    release_if_done(p);
  }
}

/* Moves master output to the connection, one read. Returns -1 once the master
 * has nothing more to give (EIO, end of file: every slave fd is closed), 0 when
 * it would block, 1 after reading some. */
static int pump(struct pty *p) {
  static char chunk[65536];
  ssize_t r = read(p->master, chunk, sizeof chunk);
  if (r > 0) {
    buf_append(&p->conn->out, chunk, (size_t)r);
    return 1;
  }
  if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return -1;
}

int pty_prepare(struct pollfd *fds, int room, int *timeout_ms) {
  long long now = now_ms(), wake = -1;
  int n = 0;
  for (int i = 0; i < PTY_MAX; i++) {
    struct pty *p = &table[i];
    if (!p->used) continue;
    if (p->kill_at && now >= p->kill_at) {
      signal_group(p->pid, SIGKILL);
      p->kill_at = 0;
    }
    if (p->kill_at && (wake < 0 || p->kill_at < wake)) wake = p->kill_at;
    if (p->master < 0 || !p->conn) continue;
    /* The host ended its side (vsock: end of file, or an error) and the
     * connection only sends what is left: that is a hangup too. */
    if (p->conn->closing) {
      p->conn->pty = -1;
      hang_up(p);
      continue;
    }
    bool room_out = p->conn->out.len < AGENT_OUT_HIGH_WATER;
    /* The process is gone: send what the master still holds, then end. (Its
     * last writes may sit in the kernel's queue; a read flushes it first.) */
    if (p->pid == 0) {
      int r = 1;
      while (room_out && r > 0) {
        r = pump(p);
        room_out = p->conn->out.len < AGENT_OUT_HIGH_WATER;
      }
      if (r <= 0) finish(p);
      continue;
    }
    short ev = room_out ? POLLIN : 0;
    if (p->in.len > 0) ev |= POLLOUT;
    /* Nothing wanted: leave it out, or a hung-up master would wake poll() at once, forever. */
    if (ev && n < room) {
      fds[n] = (struct pollfd){.fd = p->master, .events = ev};
      polled[n++] = p;
    }
  }
  if (wake >= 0) {
    int wait = (int)(wake - now > 0 ? wake - now : 0);
    if (*timeout_ms < 0 || wait < *timeout_ms) *timeout_ms = wait;
  }
  return n;
}

void pty_dispatch(const struct pollfd *fds, int n) {
  for (int i = 0; i < n; i++) {
    struct pty *p = polled[i];
    /* A transport run since prepare() may have hung it up, or the slot been reused. */
    if (!fds[i].revents || !p->used || p->master != fds[i].fd || !p->conn) continue;
    if (fds[i].revents & POLLOUT) flush(p);
    if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && p->conn->out.len < AGENT_OUT_HIGH_WATER && pump(p) < 0)
      finish(p);
  }
}
