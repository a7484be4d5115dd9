/* Session processes: finding the command, starting it, telling if it lives. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

/* Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may
 * hold spaces). *zombie is set when the process has exited but is not reaped. */
static int read_stat(long pid, unsigned long long *ticks, bool *zombie) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = 0;
  char *p = strrchr(text, ')');
  if (!p || p[1] != ' ') return -1;
  *zombie = p[2] == 'Z' || p[2] == 'X';
  p += 2; /* at field 3, the state */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  *ticks = strtoull(p, NULL, 10);
  return 0;
}

/* /proc is mounted when the agent can read its own entry there. */
static bool have_proc(void) { return access("/proc/self/stat", R_OK) == 0; }

unsigned long long session_start_ticks(long pid) {
  unsigned long long ticks = 0;
  bool zombie;
  return read_stat(pid, &ticks, &zombie) == 0 ? ticks : 0;
}

bool session_pid_alive(long pid, unsigned long long start_ticks) {
  if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) return false;
  if (!have_proc()) return true; /* without /proc, kill's answer is all there is */
  unsigned long long ticks;
  bool zombie;
  if (read_stat(pid, &ticks, &zombie) != 0) return false;
  return !zombie && (start_ticks == 0 || ticks == start_ticks);
}

static bool executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int session_find_command(const char *cmd, const char *path, char *out) {
  if (!*cmd) return -1;
  if (strchr(cmd, '/')) {
    if (!executable_file(cmd) || strlen(cmd) >= PATH_MAX) return -1;
    strcpy(out, cmd);
    return 0;
  }
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    /* An empty entry means the current directory, as for execvp. */
    if (n + strlen(cmd) + 2 < PATH_MAX) {
      if (n == 0) snprintf(out, PATH_MAX, "./%s", cmd);
      else snprintf(out, PATH_MAX, "%.*s/%s", (int)n, p, cmd);
      if (executable_file(out)) return 0;
    }
    if (!end) return -1;
    p = end;
  }
}

/* In the child: says why it cannot go on, on its stderr log, and exits 127. */
static void die(const char *what, const char *arg) {
  dprintf(2, "banger-agent: %s %s: %s\n", what, arg, strerror(errno));
  _exit(127);
}

static void child(const char *name, const char *exe, char *const argv[], char *const envp[], const char *cwd, int stdin_fd) {
  char path[PATH_MAX];
  const int flags = O_WRONLY | O_APPEND | O_CREAT;
  /* The agent ignores SIGPIPE and may block signals: the session starts clean. */
  for (int s = 1; s < 65; s++) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
  int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
  int empty[2];
  if (in < 0 && pipe(empty) == 0) { /* no /dev/null in this root: an empty pipe reads end of file too */
    close(empty[1]);
    in = empty[0];
  }
  session_path(path, name, "stdout");
  int out = open(path, flags, 0600);
  session_path(path, name, "stderr");
  int err = open(path, flags, 0600);
  if (out < 0 || err < 0) _exit(127);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
  for (int fd = 3; fd < max; fd++) close(fd);
  if (chdir(cwd) != 0) die("cannot enter", cwd);
  execve(exe, argv, envp);
  die("cannot run", exe);
}

pid_t session_spawn(const char *name, const char *exe, char *const argv[], char *const envp[], const char *cwd, int stdin_fd) {
  pid_t pid = fork();
  if (pid == 0) child(name, exe, argv, envp, cwd, stdin_fd);
  return pid;
}
