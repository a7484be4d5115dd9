/* session_start: checks the request and the guest (the preflight), then starts
 * the session with its files; nothing is started when a check fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops.h"
#include "session.h"

static bool plain(const struct json_str *s) { return strlen(s->s) == s->len; }

/* Command checks: 0, or -1 with the error written. */
static int check_command(struct json_writer *w, const char *what, const char *cmd, const char *path, char *resolved) {
  if (session_find_command(cmd, path, resolved) == 0) return 0;
  if (strchr(cmd, '/')) session_fail(w, "%s \"%s\" is not an executable file", what, cmd);
  else session_fail(w, "%s \"%s\" is not on the guest's PATH (%s)", what, cmd, path);
  return -1;
}

static int preflight(struct json_writer *w, const char *name, const char *cwd, const struct json_val *argv,
                     const struct json_val *require, const char *path, char *exe) {
  struct session_info si;
  if (session_load(name, &si) == 0) {
    bool running = si.running;
    session_info_free(&si);
    if (running) {
      session_fail(w, "session %s is already running", name);
      return -1;
    }
  }
  struct stat st;
  if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
    session_fail(w, "working directory %s does not exist in the guest", cwd);
    return -1;
  }
  if (check_command(w, "command", argv->items[0].s, path, exe) != 0) return -1;
  char other[PATH_MAX];
  for (size_t i = 0; require && i < require->count; i++) {
    if (check_command(w, "required command", require->items[i].s, path, other) != 0) return -1;
  }
  if (!sessions_room()) {
    session_fail(w, "too many sessions running in this VM (at most %d)", SESSION_TABLE_MAX);
    return -1;
  }
  return 0;
}

/* Creates the directory and logs and forks the session; returns its pid or -1 (errno set). */
static pid_t launch(const char *name, const char *exe, const struct json_val *argv, const char **envp, const char *cwd,
                    bool pipe_mode, int *in_fd) {
  char path[PATH_MAX];
  sessions_forget(name);
  if (session_make_dir(name) != 0) return -1;
  for (int s = 0; s < 2; s++) {
    session_path(path, name, session_stream_names[s]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    close(fd);
  }
  int p[2] = {-1, -1};
  if (pipe_mode && pipe2(p, O_CLOEXEC) != 0) return -1;
  if (p[1] >= 0) fcntl(p[1], F_SETFL, O_NONBLOCK);
  char **args = calloc(argv->count + 1, sizeof *args);
  if (!args) abort();
  for (size_t i = 0; i < argv->count; i++) args[i] = (char *)argv->items[i].s;
  pid_t pid = session_spawn(name, exe, args, (char *const *)envp, cwd, p[0]);
  int e = errno;
  free(args);
  if (p[0] >= 0) close(p[0]);
  if (pid < 0 && p[1] >= 0) close(p[1]);
  *in_fd = pid < 0 ? -1 : p[1];
  errno = e;
  return pid;
}

void op_session_start(const struct json_obj *req, struct json_writer *w) {
  const char *name = session_req_name(req, w);
  if (!name) return;
  const struct json_val *argv, *env, *require;
  if (session_req_strings(req, w, "argv", &argv) != 0 || session_req_strings(req, w, "env", &env) != 0 ||
      session_req_strings(req, w, "require", &require) != 0)
    return;
  if (!argv || argv->count == 0) {
    session_fail(w, "argv must be a non-empty array of strings");
    return;
  }
  for (size_t i = 0; env && i < env->count; i++) {
    if (!strchr(env->items[i].s, '=') || env->items[i].s[0] == '=') {
      session_fail(w, "env entry \"%s\" is not of the form K=V", env->items[i].s);
      return;
    }
  }
  const struct json_val *cwd_v = json_get(req, "cwd"), *stdin_v = json_get(req, "stdin");
  if (cwd_v && (cwd_v->type != JSON_STRING || cwd_v->str.len == 0 || !plain(&cwd_v->str))) {
    session_fail(w, "cwd must be a non-empty string");
    return;
  }
  const char *cwd = cwd_v ? cwd_v->str.s : "/root";
  const char *mode = stdin_v && stdin_v->type == JSON_STRING ? stdin_v->str.s : stdin_v ? "" : "detached";
  if (strcmp(mode, "detached") != 0 && strcmp(mode, "pipe") != 0) {
    session_fail(w, "stdin must be \"detached\" or \"pipe\"");
    return;
  }

  const char **envp = session_build_env(NULL, 0, env);
  const char *path = SESSION_DEFAULT_PATH;
  for (size_t i = 0; envp[i]; i++) {
    if (strncmp(envp[i], "PATH=", 5) == 0) path = envp[i] + 5;
  }
  char exe[PATH_MAX];
  int in_fd = -1;
  pid_t pid = -1;
  if (preflight(w, name, cwd, argv, require, path, exe) == 0) {
    pid = launch(name, exe, argv, envp, cwd, strcmp(mode, "pipe") == 0, &in_fd);
    if (pid < 0) session_fail(w, "cannot start session %s: %s", name, strerror(errno));
  }
  free(envp);
  if (pid < 0) return;

  char started[32];
  session_now_iso(started);
  struct session_meta m = {name, argv->items, argv->count, cwd, strcmp(mode, "pipe") == 0, pid, session_start_ticks(pid),
                           started, {0, 0}};
  session_write_meta(&m);
  sessions_add(name, pid, m.start_ticks, in_fd);
  jw_bool(w, "ok", true);
  jw_cstring(w, "name", name);
  jw_int(w, "pid", pid);
}
