/* session_signal and session_stop: signals to a session's process group (each
 * session is a process group of its own: it called setsid). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "ops.h"
#include "session.h"

static const struct {
  const char *name;
  int sig;
} ALLOWED[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},   {"HUP", SIGHUP},
               {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};

/* Loads the session and checks it runs; on failure writes the error, returns -1. */
static int running_session(const struct json_obj *req, struct json_writer *w, struct session_info *si) {
  if (session_req_load(req, w, si) != 0) return -1;
  if (si->running) return 0;
  session_fail(w, "session %s is not running", si->m.name);
  session_info_free(si);
  return -1;
}

static int signal_group(struct json_writer *w, const struct session_info *si, int sig) {
  /* ESRCH: a session started an instant ago may not have called setsid yet
   * (then it is alone: signal it), or it just ended. */
  if (kill(-(pid_t)si->m.pid, sig) == 0 || (errno == ESRCH && (kill((pid_t)si->m.pid, sig) == 0 || errno == ESRCH)))
    return 0;
  session_fail(w, "cannot signal session %s: %s", si->m.name, strerror(errno));
  return -1;
}

void op_session_signal(const struct json_obj *req, struct json_writer *w) {
  const struct json_val *v = json_get(req, "signal");
  int sig = 0;
  for (size_t i = 0; v && v->type == JSON_STRING && i < sizeof ALLOWED / sizeof ALLOWED[0]; i++) {
    if (strcmp(v->str.s, ALLOWED[i].name) == 0) sig = ALLOWED[i].sig;
  }
  if (!sig) {
    session_fail(w, "signal must be one of TERM, KILL, INT, HUP, QUIT, USR1, USR2");
    return;
  }
  struct session_info si;
  if (running_session(req, w, &si) != 0) return;
  if (signal_group(w, &si, sig) == 0) jw_bool(w, "ok", true);
  session_info_free(&si);
}

void op_session_stop(const struct json_obj *req, struct json_writer *w) {
  unsigned long long grace;
  if (session_req_uint(req, w, "grace_ms", 5000, 24ull * 3600 * 1000, &grace) != 0) return;
  struct session_info si;
  if (running_session(req, w, &si) != 0) return;
  if (signal_group(w, &si, SIGTERM) == 0) {
    sessions_kill_later(si.m.name, si.m.pid, (long long)grace);
    jw_bool(w, "ok", true);
  }
  session_info_free(&si);
}
