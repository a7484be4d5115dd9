/* session_list: every session under SESSIONS_DIR, sorted by name, read from
 * the files, so an agent restarted in the same boot lists what it did not start. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "session.h"

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One session as an object inside the open array on w's buffer. */
static void write_session(struct json_writer *w, const char *name, const struct session_info *si) {
  struct json_writer o;
  jw_begin(&o, w->out);
  jw_cstring(&o, "name", name);
  jw_int(&o, "pid", si->m.pid);
  jw_cstring(&o, "state", si->running ? "running" : "exited");
  jw_string_array(&o, "argv", si->m.argv, si->m.argc);
  jw_cstring(&o, "cwd", si->m.cwd);
  jw_cstring(&o, "stdin", si->m.pipe ? "pipe" : "detached");
  jw_cstring(&o, "started_at", si->m.started_at);
  if (si->has_exit) {
    const struct json_val *code = json_get(&si->exit, "code"), *sig = json_get(&si->exit, "signal"),
                          *ended = json_get(&si->exit, "ended_at");
    if (code && code->type == JSON_NUMBER) jw_int(&o, "exit_code", (long long)code->number);
    if (sig && sig->type == JSON_STRING) jw_string(&o, "signal", sig->str.s, sig->str.len);
    if (ended && ended->type == JSON_STRING) jw_string(&o, "ended_at", ended->str.s, ended->str.len);
  } else if (!si->running) {
    jw_cstring(&o, "signal", "unknown"); /* gone without a word: the agent that knew was not there */
  }
  buf_putc(w->out, '}');
}

void op_session_list(const struct json_obj *req, struct json_writer *w) {
  (void)req;
  char **names = NULL;
  size_t n = 0, cap = 0;
  DIR *d = opendir(SESSIONS_DIR);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (!session_name_ok(e->d_name, strlen(e->d_name))) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      names = realloc(names, cap * sizeof *names);
      if (!names) abort();
    }
    names[n] = strdup(e->d_name);
    if (!names[n++]) abort();
  }
  if (d) closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  jw_bool(w, "ok", true);
  jw_key(w, "sessions");
  buf_putc(w->out, '[');
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    struct session_info si;
    if (session_load(names[i], &si) == 0) {
      if (!first) buf_putc(w->out, ',');
      first = false;
      write_session(w, names[i], &si);
      session_info_free(&si);
    }
    free(names[i]);
  }
  buf_putc(w->out, ']');
  free(names);
}
