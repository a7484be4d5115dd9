/* Opening a pseudo-terminal and starting its process (no libutil: the agent is
 * linked statically, so posix_openpt and friends). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "pty.h"

int pty_set_size(int master, unsigned cols, unsigned rows) {
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  return ioctl(master, TIOCSWINSZ, &ws);
}

#define DEVPTS_SUPER_MAGIC 0x1cd1

/* /dev/ptmx (from devtmpfs) leads to the devpts mounted at /dev/pts beside it, and fails
 * with ENOENT when there is none. systemd and most inits mount it; busybox init, or a bare
 * image whose init is a shell, does not. There the agent mounts it, as systemd would. */
static void ensure_devpts(void) {
  struct statfs sf;
  if (statfs("/dev/pts", &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC) return;
  mkdir("/dev/pts", 0755);
  if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666") != 0)
    agent_log("cannot mount devpts on /dev/pts: %s", strerror(errno));
}

int pty_open(unsigned cols, unsigned rows, char *name, int *slave) {
  ensure_devpts();
  int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  const char *path = NULL;
  *slave = -1;
  if (grantpt(fd) != 0 || unlockpt(fd) != 0 || !(path = ptsname(fd)) || strlen(path) >= PATH_MAX ||
      pty_set_size(fd, cols, rows) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
      (*slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  strcpy(name, path);
  return fd;
}

/* In the child: says why it cannot go on, on the terminal, and exits 127. */
static void die(const char *what, const char *arg) {
  dprintf(2, "banger-agent: %s %s: %s\n", what, arg, strerror(errno)); /* the terminal adds the \r */
  _exit(127);
}

static void child(int fd, const char *exe, char *const argv[], char *const envp[], const char *cwd) {
  /* The agent ignores SIGPIPE and may block signals: the terminal starts clean. */
  for (int s = 1; s < 65; s++) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
  if (ioctl(fd, TIOCSCTTY, 0) != 0) _exit(127);
  if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(127);
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
  for (int i = 3; i < max; i++) close(i);
  if (chdir(cwd) != 0) die("cannot enter", cwd);
  execve(exe, argv, envp);
  die("cannot run", exe);
}

pid_t pty_spawn(int slave, const char *exe, char *const argv[], char *const envp[], const char *cwd) {
  pid_t pid = fork();
  if (pid == 0) child(slave, exe, argv, envp, cwd);
  return pid;
}
