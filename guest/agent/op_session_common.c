/* What the session ops share: reading the session name and numbers from a
 * request, and writing a failure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

void session_fail(struct json_writer *w, const char *fmt, ...) {
  char text[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  jw_bool(w, "ok", false);
  jw_cstring(w, "error", text);
}

const char *session_req_name(const struct json_obj *req, struct json_writer *w) {
  const struct json_val *v = json_get(req, "name");
  if (!v || v->type != JSON_STRING) {
    session_fail(w, "name must be a string");
    return NULL;
  }
  if (!session_name_ok(v->str.s, v->str.len)) {
    jw_bool(w, "ok", false);
    struct buf msg = {0};
    buf_puts(&msg, "invalid session name \"");
    buf_append(&msg, v->str.s, v->str.len);
    buf_puts(&msg, "\": use lowercase letters, digits, '.', '_' or '-'");
    jw_string(w, "error", msg.data, msg.len);
    buf_free(&msg);
    return NULL;
  }
  return v->str.s;
}

int session_req_load(const struct json_obj *req, struct json_writer *w, struct session_info *si) {
  const char *name = session_req_name(req, w);
  if (!name) return -1;
  if (session_load(name, si) != 0) {
    session_fail(w, "no session %s in this VM", name);
    return -1;
  }
  return 0;
}

int session_req_uint(const struct json_obj *req, struct json_writer *w, const char *key, unsigned long long def,
                     unsigned long long max, unsigned long long *out) {
  const struct json_val *v = json_get(req, key);
  if (!v) {
    *out = def;
    return 0;
  }
  if (v->type != JSON_NUMBER || !(v->number >= 0 && v->number <= (double)max) ||
      v->number != (double)(unsigned long long)v->number) {
    session_fail(w, "%s must be a whole number from 0 to %llu", key, max);
    return -1;
  }
  *out = (unsigned long long)v->number;
  return 0;
}

int session_req_strings(const struct json_obj *req, struct json_writer *w, const char *key, const struct json_val **out) {
  const struct json_val *v = json_get(req, key);
  *out = v;
  if (!v) return 0;
  bool ok = v->type == JSON_STRARRAY;
  for (size_t i = 0; ok && i < v->count; i++) ok = strlen(v->items[i].s) == v->items[i].len;
  if (!ok) session_fail(w, "%s must be an array of strings (without NUL bytes)", key);
  return ok ? 0 : -1;
}
