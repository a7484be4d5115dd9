/* The sessions the agent tracks in memory: its children to reap, sessions a
 * previous agent left running, stdin pipes with their buffered input, stop
 * timers, and the once-a-second log caps. Files stay the truth (session_store.c);
 * this table holds only what files cannot: fds, buffers, timers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pty.h"
#include "session.h"

struct tracked {
  bool used;
  char name[SESSION_NAME_MAX + 1];
  pid_t pid;
  unsigned long long start_ticks;
  bool child;        /* started by this agent: reaped here */
  int in_fd;         /* write end of the stdin pipe, or -1 */
  struct buf in;     /* input not written to the pipe yet */
  bool close_in;     /* close in_fd once in is written */
  long long kill_at; /* monotonic ms for SIGKILL, 0: none */
  unsigned long long dropped[2];
};

static struct tracked table[SESSION_TABLE_MAX];
static struct tracked *polled[SESSIONS_MAX_FDS];
static int sigchld_pipe[2] = {-1, -1};
static long long next_tick;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_sigchld(int sig) {
  (void)sig;
  int e = errno;
  (void)!write(sigchld_pipe[1], "", 1); /* wakes poll(); a full pipe is awake already */
  errno = e;
}

static struct tracked *find(const char *name) {
  for (int i = 0; i < SESSION_TABLE_MAX; i++) {
    if (table[i].used && strcmp(table[i].name, name) == 0) return &table[i];
  }
  return NULL;
}

static void release(struct tracked *t) {
  if (t->in_fd >= 0) close(t->in_fd);
  buf_free(&t->in);
  memset(t, 0, sizeof *t);
  t->in_fd = -1;
}

static struct tracked *add(const char *name, pid_t pid, unsigned long long ticks, int in_fd, bool child) {
  for (int i = 0; i < SESSION_TABLE_MAX; i++) {
    struct tracked *t = &table[i];
    if (t->used) continue;
    memset(t, 0, sizeof *t);
    t->used = true;
    strncpy(t->name, name, SESSION_NAME_MAX);
    t->pid = pid;
    t->start_ticks = ticks;
    t->child = child;
    t->in_fd = in_fd;
    return t;
  }
  return NULL;
}

bool sessions_room(void) {
  for (int i = 0; i < SESSION_TABLE_MAX; i++) {
    if (!table[i].used) return true;
  }
  return false;
}

void sessions_add(const char *name, pid_t pid, unsigned long long start_ticks, int stdin_fd) {
  if (!add(name, pid, start_ticks, stdin_fd, true) && stdin_fd >= 0) close(stdin_fd);
}

void sessions_forget(const char *name) {
  struct tracked *t = find(name);
  if (t) release(t);
}

/* Sessions still running from an agent that ran before this one, in this boot. */
static void adopt(void) {
  DIR *d = opendir(SESSIONS_DIR);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    struct session_info si;
    if (!session_name_ok(e->d_name, strlen(e->d_name)) || session_load(e->d_name, &si) != 0) continue;
    struct tracked *t = si.running ? add(e->d_name, (pid_t)si.m.pid, si.m.start_ticks, -1, false) : NULL;
    if (t) memcpy(t->dropped, si.m.dropped, sizeof t->dropped);
    session_info_free(&si);
  }
  closedir(d);
}

void sessions_init(void) {
  for (int i = 0; i < SESSION_TABLE_MAX; i++) table[i].in_fd = -1;
  if (pipe2(sigchld_pipe, O_NONBLOCK | O_CLOEXEC) != 0) agent_log("sessions: pipe: %s", strerror(errno));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  adopt();
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    pty_reaped(pid); /* every child is reaped here, terminals' too */
    for (int i = 0; i < SESSION_TABLE_MAX; i++) {
      struct tracked *t = &table[i];
      if (!t->used || !t->child || t->pid != pid) continue;
      if (session_write_exit(t->name, status) != 0) agent_log("session %s: cannot record its exit: %s", t->name, strerror(errno));
      release(t);
    }
  }
}

static void cap_logs(struct tracked *t) {
  bool cut = false;
  for (int s = 0; s < 2; s++) {
    char path[PATH_MAX];
    session_path(path, t->name, session_stream_names[s]);
    unsigned long long n = session_cap_log(path);
    t->dropped[s] += n;
    cut = cut || n > 0;
  }
  if (cut && session_save_dropped(t->name, t->dropped) != 0) agent_log("session %s: cannot update meta.json: %s", t->name, strerror(errno));
}

/* Writes what the pipe takes; on a broken pipe the input is dropped. */
static void flush(struct tracked *t) {
  while (t->in_fd >= 0 && t->in.len > 0) {
    ssize_t w = write(t->in_fd, t->in.data, t->in.len);
    if (w > 0) {
      buf_consume(&t->in, (size_t)w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      buf_free(&t->in);
      t->close_in = true;
    }
  }
  if (t->in_fd >= 0 && t->close_in) {
    close(t->in_fd);
    t->in_fd = -1;
  }
}

int sessions_prepare(struct pollfd *fds, int room, int *timeout_ms) {
  reap();
  long long now = now_ms();
  bool tick = now >= next_tick;
  if (tick) next_tick = now + SESSION_TICK_MS;
  long long wake = next_tick;
  int n = 0;
  if (sigchld_pipe[0] >= 0 && n < room) {
    fds[n] = (struct pollfd){.fd = sigchld_pipe[0], .events = POLLIN};
    polled[n++] = NULL;
  }
  for (int i = 0; i < SESSION_TABLE_MAX; i++) {
    struct tracked *t = &table[i];
    if (!t->used) continue;
    if (!t->child && !session_pid_alive(t->pid, t->start_ticks)) {
      release(t); /* not ours to reap: its end is not known */
      continue;
    }
    if (t->kill_at && now >= t->kill_at) {
      if (kill(-t->pid, SIGKILL) != 0) kill(t->pid, SIGKILL);
      t->kill_at = 0;
    }
    if (t->kill_at && t->kill_at < wake) wake = t->kill_at;
    if (tick) cap_logs(t);
    if (t->in_fd >= 0 && t->in.len > 0 && n < room) {
      fds[n] = (struct pollfd){.fd = t->in_fd, .events = POLLOUT};
      polled[n++] = t;
    }
  }
  int wait = (int)(wake - now > 0 ? wake - now : 0);
  if (*timeout_ms < 0 || wait < *timeout_ms) *timeout_ms = wait;
  return n;
}

void sessions_dispatch(const struct pollfd *fds, int n) {
  for (int i = 0; i < n; i++) {
    if (!fds[i].revents) continue;
    if (polled[i]) {
      /* An op run since prepare() may have released or reused the slot. */
      if (polled[i]->used && polled[i]->in_fd == fds[i].fd) flush(polled[i]);
    } else {
      char drain[64];
      while (read(fds[i].fd, drain, sizeof drain) > 0) {}
    }
  }
}

void sessions_kill_later(const char *name, long pid, long long grace_ms) {
  struct tracked *t = find(name);
  if (!t) t = add(name, (pid_t)pid, 0, -1, false);
  if (t) t->kill_at = now_ms() + (grace_ms > 0 ? grace_ms : 0);
}

int sessions_write(const char *name, const char *data, size_t n) {
  struct tracked *t = find(name);
  if (!t || t->in_fd < 0 || t->close_in) return -1;
  if (n > SESSION_INPUT_MAX - t->in.len) return -2;
  buf_append(&t->in, data, n);
  flush(t);
  return 0;
}

int sessions_close_stdin(const char *name) {
  struct tracked *t = find(name);
  if (!t || t->in_fd < 0 || t->close_in) return -1;
  t->close_in = true;
  flush(t);
  return 0;
}
