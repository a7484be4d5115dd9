/* Session files: the directory, meta.json, exit.json; see session.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

const char *const session_stream_names[2] = {"stdout", "stderr"};

bool session_name_ok(const char *s, size_t len) {
  if (len == 0 || len > SESSION_NAME_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

void session_path(char *out, const char *name, const char *file) {
  snprintf(out, PATH_MAX, "%s/%s%s%s", SESSIONS_DIR, name, file ? "/" : "", file ? file : "");
}

void session_now_iso(char *out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000);
}

int session_write_file(const char *path, const char *text, size_t len, mode_t mode) {
  char tmp[PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  if (close(fd) != 0 || off < len || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

static int mkdir_mode(const char *path, mode_t mode) {
  if (mkdir(path, mode) != 0 && errno != EEXIST) return -1;
  return chmod(path, mode);
}

int session_make_dir(const char *name) {
  char path[PATH_MAX];
  if (mkdir("/run", 0755) != 0 && errno != EEXIST) return -1;
  if (mkdir("/run/banger", 0755) != 0 && errno != EEXIST) return -1;
  if (mkdir(SESSIONS_DIR, 0755) != 0 && errno != EEXIST) return -1;
  session_path(path, name, NULL);
  DIR *d = opendir(path);
  if (d) { /* an exited session's files: the directory holds only plain files */
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
  }
  return mkdir_mode(path, 0700);
}

static void write_meta_json(struct buf *b, const struct session_meta *m) {
  struct json_writer w;
  jw_begin(&w, b);
  jw_cstring(&w, "name", m->name);
  jw_string_array(&w, "argv", m->argv, m->argc);
  jw_cstring(&w, "cwd", m->cwd);
  jw_cstring(&w, "stdin", m->pipe ? "pipe" : "detached");
  jw_int(&w, "pid", m->pid);
  jw_cstring(&w, "started_at", m->started_at);
  jw_int(&w, "start_ticks", (long long)m->start_ticks);
  jw_int(&w, "stdout_dropped", (long long)m->dropped[SESSION_STDOUT]);
  jw_int(&w, "stderr_dropped", (long long)m->dropped[SESSION_STDERR]);
  jw_end(&w);
}

int session_write_meta(const struct session_meta *m) {
  char path[PATH_MAX];
  struct buf b = {0};
  write_meta_json(&b, m);
  session_path(path, m->name, "meta.json");
  int r = session_write_file(path, b.data, b.len, 0600);
  buf_free(&b);
  return r;
}

static const struct {
  int sig;
  const char *name;
} SIGNALS[] = {{SIGTERM, "TERM"}, {SIGKILL, "KILL"}, {SIGINT, "INT"},   {SIGHUP, "HUP"},   {SIGQUIT, "QUIT"},
               {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}, {SIGPIPE, "PIPE"}, {SIGABRT, "ABRT"}, {SIGSEGV, "SEGV"},
               {SIGBUS, "BUS"},   {SIGFPE, "FPE"},   {SIGILL, "ILL"},   {SIGALRM, "ALRM"}, {SIGTRAP, "TRAP"},
               {SIGSYS, "SYS"},   {SIGXCPU, "XCPU"}, {SIGXFSZ, "XFSZ"}};

int session_write_exit(const char *name, int status) {
  char path[PATH_MAX], when[32], sig[16];
  struct buf b = {0};
  struct json_writer w;
  jw_begin(&w, &b);
  if (WIFSIGNALED(status)) {
    snprintf(sig, sizeof sig, "%d", WTERMSIG(status));
    for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++) {
      if (SIGNALS[i].sig == WTERMSIG(status)) snprintf(sig, sizeof sig, "%s", SIGNALS[i].name);
    }
    jw_cstring(&w, "signal", sig);
  } else {
    jw_int(&w, "code", WEXITSTATUS(status));
  }
  session_now_iso(when);
  jw_cstring(&w, "ended_at", when);
  jw_end(&w);
  session_path(path, name, "exit.json");
  int r = session_write_file(path, b.data, b.len, 0600);
  buf_free(&b);
  return r;
}

/* Parses the JSON object in file path; -1 if missing or not one. */
static int read_json(const char *path, struct json_obj *obj) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct buf b = {0};
  char chunk[4096];
  ssize_t r;
  while ((r = read(fd, chunk, sizeof chunk)) > 0 && b.len < (4u << 20)) buf_append(&b, chunk, (size_t)r);
  close(fd);
  int ok = b.len > 0 ? json_parse_object(b.data, b.len, obj) : -1;
  buf_free(&b);
  return ok;
}

static const char *str_or(const struct json_obj *o, const char *key, const char *fallback) {
  const struct json_val *v = json_get(o, key);
  return v && v->type == JSON_STRING ? v->str.s : fallback;
}

static unsigned long long num_or_0(const struct json_obj *o, const char *key) {
  const struct json_val *v = json_get(o, key);
  return v && v->type == JSON_NUMBER && v->number > 0 ? (unsigned long long)v->number : 0;
}

int session_load(const char *name, struct session_info *si) {
  char path[PATH_MAX];
  memset(si, 0, sizeof *si);
  session_path(path, name, "meta.json");
  if (read_json(path, &si->meta) != 0) return -1;
  struct session_meta *m = &si->m;
  const struct json_val *argv = json_get(&si->meta, "argv");
  m->name = str_or(&si->meta, "name", "");
  m->argv = argv && argv->type == JSON_STRARRAY ? argv->items : NULL;
  m->argc = argv && argv->type == JSON_STRARRAY ? argv->count : 0;
  m->cwd = str_or(&si->meta, "cwd", "");
  m->pipe = strcmp(str_or(&si->meta, "stdin", ""), "pipe") == 0;
  m->pid = (long)num_or_0(&si->meta, "pid");
  m->start_ticks = num_or_0(&si->meta, "start_ticks");
  m->started_at = str_or(&si->meta, "started_at", "");
  m->dropped[SESSION_STDOUT] = num_or_0(&si->meta, "stdout_dropped");
  m->dropped[SESSION_STDERR] = num_or_0(&si->meta, "stderr_dropped");
  session_path(path, name, "exit.json");
  si->has_exit = read_json(path, &si->exit) == 0;
  si->running = !si->has_exit && m->pid > 0 && session_pid_alive(m->pid, m->start_ticks);
  return 0;
}

void session_info_free(struct session_info *si) {
  json_obj_free(&si->meta);
  if (si->has_exit) json_obj_free(&si->exit);
  si->has_exit = false;
}

int session_save_dropped(const char *name, const unsigned long long dropped[2]) {
  struct session_info si;
  if (session_load(name, &si) != 0) return -1;
  si.m.dropped[0] = dropped[0];
  si.m.dropped[1] = dropped[1];
  int r = session_write_meta(&si.m);
  session_info_free(&si);
  return r;
}
