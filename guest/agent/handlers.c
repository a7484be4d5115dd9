#include "handlers.h"

#include <string.h>

#include "json.h"
#include "ops.h"

static const struct {
  const char *name;
  op_handler fn;
  op_stream_handler stream; /* instead of fn */
} ops[] = {
    {"ping", op_ping, NULL},
    {"session_start", op_session_start, NULL},
    {"session_list", op_session_list, NULL},
    {"session_logs", op_session_logs, NULL},
    {"session_signal", op_session_signal, NULL},
    {"session_stop", op_session_stop, NULL},
    {"session_write", op_session_write, NULL},
    {"session_close_stdin", op_session_close_stdin, NULL},
    {"pty_open", NULL, op_pty_open},
    {"pty_resize", op_pty_resize, NULL},
};

static void error_line(struct buf *out, const char *message) {
  struct json_writer w;
  jw_begin(&w, out);
  jw_bool(&w, "ok", false);
  jw_cstring(&w, "error", message);
  jw_end(&w);
}

void handle_line_too_long(struct buf *out) { error_line(out, "request line too long"); }

int handle_request(const char *line, size_t len, struct buf *out) {
  struct json_obj req;
  if (json_parse_object(line, len, &req) != 0) {
    error_line(out, "malformed request");
    return -1;
  }
  const struct json_val *op = json_get(&req, "op");
  const struct json_val *id = json_get(&req, "id");
  /* An id is echoed as given, so only a number or a string is one. */
  if (!op || op->type != JSON_STRING || (id && id->type != JSON_NUMBER && id->type != JSON_STRING)) {
    json_obj_free(&req);
    error_line(out, "malformed request");
    return -1;
  }

  struct json_writer w;
  jw_begin(&w, out);
  if (id) {
    jw_key(&w, "id");
    if (id->type == JSON_NUMBER) jw_value_raw(&w, id->raw.s, id->raw.len);
    else jw_value_string(&w, id->str.s, id->str.len);
  }
  op_handler fn = NULL;
  op_stream_handler stream = NULL;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strlen(ops[i].name) == op->str.len && memcmp(ops[i].name, op->str.s, op->str.len) == 0) {
      fn = ops[i].fn;
      stream = ops[i].stream;
    }
  }
  int attach = -1;
  if (stream) {
    attach = stream(&req, &w);
  } else if (fn) {
    fn(&req, &w);
  } else {
    struct buf msg = {0};
    buf_puts(&msg, "unknown op \"");
    buf_append(&msg, op->str.s, op->str.len);
    buf_putc(&msg, '"');
    jw_bool(&w, "ok", false);
    jw_string(&w, "error", msg.data, msg.len);
    buf_free(&msg);
  }
  jw_end(&w);
  json_obj_free(&req);
  return attach;
}
