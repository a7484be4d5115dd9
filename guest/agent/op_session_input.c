/* session_write and session_close_stdin: input for a session started with
 * stdin "pipe", buffered in the agent (session_table.c) while the pipe is full. */
#include "base64.h"
#include "ops.h"
#include "session.h"

/* Loads a running pipe-mode session; on failure writes the error, returns -1. */
static int input_session(const struct json_obj *req, struct json_writer *w, struct session_info *si) {
  if (session_req_load(req, w, si) != 0) return -1;
  if (!si->m.pipe) session_fail(w, "session %s does not take input (started with stdin detached)", si->m.name);
  else if (!si->running) session_fail(w, "session %s is not running", si->m.name);
  else return 0;
  session_info_free(si);
  return -1;
}

static void closed(struct json_writer *w, const char *name) {
  session_fail(w, "session %s's input is closed", name);
}

void op_session_write(const struct json_obj *req, struct json_writer *w) {
  const struct json_val *data = json_get(req, "data");
  struct buf bytes = {0};
  if (!data || data->type != JSON_STRING || base64_decode(&bytes, data->str.s, data->str.len) != 0) {
    session_fail(w, "data must be a base64 string");
    return;
  }
  struct session_info si;
  if (input_session(req, w, &si) == 0) {
    int r = sessions_write(si.m.name, bytes.data ? bytes.data : "", bytes.len);
    if (r == -2) session_fail(w, "session %s's input is full", si.m.name);
    else if (r != 0) closed(w, si.m.name);
    else jw_bool(w, "ok", true);
    session_info_free(&si);
  }
  buf_free(&bytes);
}

void op_session_close_stdin(const struct json_obj *req, struct json_writer *w) {
  struct session_info si;
  if (input_session(req, w, &si) != 0) return;
  if (sessions_close_stdin(si.m.name) != 0) closed(w, si.m.name);
  else jw_bool(w, "ok", true);
  session_info_free(&si);
}
