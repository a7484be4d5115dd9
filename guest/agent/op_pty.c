/* pty_open and pty_resize: a terminal for the host (the web UI's browser
 * terminal). pty_open answers one line, then its connection carries the
 * terminal's raw bytes (conn.c switches it); pty_resize comes on another one. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops.h"
#include "pty.h"
#include "session.h"

/* Member key as a whole number in [PTY_MIN_SIZE, PTY_MAX_SIZE], required. */
static int size_field(const struct json_obj *req, struct json_writer *w, const char *key, unsigned *out) {
  const struct json_val *v = json_get(req, key);
  if (!v || v->type != JSON_NUMBER || !(v->number >= PTY_MIN_SIZE && v->number <= PTY_MAX_SIZE) ||
      v->number != (double)(unsigned)v->number) {
    session_fail(w, "%s must be a whole number from %d to %d", key, PTY_MIN_SIZE, PTY_MAX_SIZE);
    return -1;
  }
  *out = (unsigned)v->number;
  return 0;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Root's login shell from /etc/passwd (its 7th field) into shell (PATH_MAX),
 * if it names an executable file; else /bin/sh. */
static void root_shell(char *shell) {
  strcpy(shell, "/bin/sh");
  FILE *f = fopen("/etc/passwd", "re");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "root:", 5) != 0) continue;
    char *field = line;
    for (int i = 0; i < 6 && field; i++) {
      field = strchr(field, ':');
      if (field) field++;
    }
    if (field) {
      field[strcspn(field, "\r\n")] = 0;
      char found[PATH_MAX];
      if (field[0] == '/' && session_find_command(field, "", found) == 0) strcpy(shell, found);
    }
    break;
  }
  fclose(f);
}

/* Starts the terminal; returns its slot, or -1 with the error written. */
static int start(struct json_writer *w, unsigned cols, unsigned rows, const char *exe, char **argv, const char **envp,
                 const char *cwd, char *name) {
  int slave;
  int master = pty_open(cols, rows, name, &slave);
  if (master < 0) {
    session_fail(w, "cannot open a terminal: %s", strerror(errno));
    return -1;
  }
  pid_t pid = pty_spawn(slave, exe, argv, (char *const *)envp, cwd);
  int e = errno;
  close(slave);
  if (pid < 0) {
    close(master);
    session_fail(w, "cannot start %s: %s", exe, strerror(e));
    return -1;
  }
  const char *shortname = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
  int slot = pty_add(master, pid, shortname);
  jw_bool(w, "ok", true);
  jw_cstring(w, "pty", shortname);
  jw_int(w, "pid", pid);
  return slot; /* pty_room() was checked: there is one */
}

int op_pty_open(const struct json_obj *req, struct json_writer *w) {
  unsigned cols, rows;
  const struct json_val *argv_v, *env;
  if (size_field(req, w, "cols", &cols) != 0 || size_field(req, w, "rows", &rows) != 0 ||
      session_req_strings(req, w, "argv", &argv_v) != 0 || session_req_strings(req, w, "env", &env) != 0)
    return -1;
  if (argv_v && argv_v->count == 0) {
    session_fail(w, "argv must be a non-empty array of strings");
    return -1;
  }
  for (size_t i = 0; env && i < env->count; i++) {
    if (!strchr(env->items[i].s, '=') || env->items[i].s[0] == '=') {
      session_fail(w, "env entry \"%s\" is not of the form K=V", env->items[i].s);
      return -1;
    }
  }
  const struct json_val *cwd_v = json_get(req, "cwd");
  if (cwd_v && (cwd_v->type != JSON_STRING || cwd_v->str.len == 0 || strlen(cwd_v->str.s) != cwd_v->str.len)) {
    session_fail(w, "cwd must be a non-empty string");
    return -1;
  }
  const char *cwd = cwd_v ? cwd_v->str.s : is_dir("/root") ? "/root" : "/";
  if (!is_dir(cwd)) {
    session_fail(w, "working directory %s does not exist in the guest", cwd);
    return -1;
  }
  if (!pty_room()) {
    session_fail(w, "too many terminals open in this VM (at most %d)", PTY_MAX);
    return -1;
  }

  char shell[PATH_MAX], login[PATH_MAX + 1], exe[PATH_MAX], name[PATH_MAX];
  root_shell(shell);
  char shell_env[PATH_MAX + 8];
  snprintf(shell_env, sizeof shell_env, "SHELL=%s", shell);
  const char *over[] = {"TERM=xterm-256color", "HOME=/root", shell_env, "USER=root", "LOGNAME=root"};
  const char **envp = session_build_env(over, sizeof over / sizeof over[0], env);
  const char *path = SESSION_DEFAULT_PATH;
  for (size_t i = 0; envp[i]; i++) {
    if (strncmp(envp[i], "PATH=", 5) == 0) path = envp[i] + 5;
  }
  size_t argc = argv_v ? argv_v->count : 1;
  char **argv = calloc(argc + 1, sizeof *argv);
  if (!argv) abort();
  int slot = -1;
  if (argv_v) {
    for (size_t i = 0; i < argc; i++) argv[i] = (char *)argv_v->items[i].s;
    if (session_find_command(argv[0], path, exe) == 0) slot = start(w, cols, rows, exe, argv, envp, cwd, name);
    else if (strchr(argv[0], '/')) session_fail(w, "command \"%s\" is not an executable file", argv[0]);
    else session_fail(w, "command \"%s\" is not on the guest's PATH (%s)", argv[0], path);
  } else {
    /* A login shell: argv[0] is its name prefixed with '-'. */
    const char *base = strrchr(shell, '/');
    snprintf(login, sizeof login, "-%s", base ? base + 1 : shell);
    argv[0] = login;
    slot = start(w, cols, rows, shell, argv, envp, cwd, name);
  }
  free(argv);
  free(envp);
  return slot;
}

void op_pty_resize(const struct json_obj *req, struct json_writer *w) {
  const struct json_val *name = json_get(req, "pty");
  unsigned cols, rows;
  if (!name || name->type != JSON_STRING) {
    session_fail(w, "pty must be a string");
    return;
  }
  if (size_field(req, w, "cols", &cols) != 0 || size_field(req, w, "rows", &rows) != 0) return;
  int slot = pty_find(name->str.s, name->str.len);
  if (slot < 0) {
    jw_bool(w, "ok", false);
    struct buf msg = {0};
    buf_puts(&msg, "no terminal \"");
    buf_append(&msg, name->str.s, name->str.len);
    buf_puts(&msg, "\" in this VM");
    jw_string(w, "error", msg.data, msg.len);
    buf_free(&msg);
    return;
  }
  if (pty_resize(slot, cols, rows) != 0) session_fail(w, "cannot resize terminal %s: %s", name->str.s, strerror(errno));
  else jw_bool(w, "ok", true);
}
