/* The response writer; see json.h. */
#include <math.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static void write_escaped(struct buf *b, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  buf_putc(b, '"');
  while (p < end) {
    const unsigned char *run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    buf_append(b, run, (size_t)(p - run));
    if (p >= end) break;
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      buf_putc(b, '\\');
      buf_putc(b, (char)c);
      p++;
    } else if (c < 0x20) {
      const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
      if (named) buf_puts(b, named);
      else buf_printf(b, "\\u%04x", c);
      p++;
    } else {
      size_t n = utf8_seq_len(p, (size_t)(end - p));
      if (n == 0) {
        buf_puts(b, "\\ufffd"); /* keep the output valid UTF-8 whatever the input */
        p++;
      } else {
        buf_append(b, p, n);
        p += n;
      }
    }
  }
  buf_putc(b, '"');
}

void jw_begin(struct json_writer *w, struct buf *out) {
  w->out = out;
  w->fields = 0;
  buf_putc(out, '{');
}

void jw_end(struct json_writer *w) { buf_puts(w->out, "}\n"); }

void jw_key(struct json_writer *w, const char *key) {
  if (w->fields++ > 0) buf_putc(w->out, ',');
  write_escaped(w->out, key, strlen(key));
  buf_putc(w->out, ':');
}

void jw_value_string(struct json_writer *w, const char *s, size_t len) { write_escaped(w->out, s, len); }

void jw_value_raw(struct json_writer *w, const char *text, size_t len) { buf_append(w->out, text, len); }

void jw_value_double(struct json_writer *w, double v, int decimals) {
  if (isfinite(v)) buf_printf(w->out, "%.*f", decimals, v);
  else buf_puts(w->out, "null"); /* JSON has no NaN or infinity */
}

void jw_string(struct json_writer *w, const char *key, const char *s, size_t len) {
  jw_key(w, key);
  jw_value_string(w, s, len);
}

void jw_cstring(struct json_writer *w, const char *key, const char *s) { jw_string(w, key, s, strlen(s)); }

void jw_bool(struct json_writer *w, const char *key, bool v) {
  jw_key(w, key);
  buf_puts(w->out, v ? "true" : "false");
}

void jw_int(struct json_writer *w, const char *key, long long v) {
  jw_key(w, key);
  buf_printf(w->out, "%lld", v);
}

void jw_double_array(struct json_writer *w, const char *key, const double *v, size_t n, int decimals) {
  jw_key(w, key);
  buf_putc(w->out, '[');
  for (size_t i = 0; i < n; i++) {
    if (i > 0) buf_putc(w->out, ',');
    jw_value_double(w, v[i], decimals);
  }
  buf_putc(w->out, ']');
}

void jw_string_array(struct json_writer *w, const char *key, const struct json_str *v, size_t n) {
  jw_key(w, key);
  buf_putc(w->out, '[');
  for (size_t i = 0; i < n; i++) {
    if (i > 0) buf_putc(w->out, ',');
    write_escaped(w->out, v[i].s, v[i].len);
  }
  buf_putc(w->out, ']');
}
