/* The JSON the protocol needs, and no more.
 *
 * Parser: one object per request line. Member values may be a string, a
 * number, true/false, null or an array of strings; any other value (a nested
 * object, an array holding non-strings) is accepted and skipped as JSON_OTHER,
 * so a client may send fields a given op ignores. Strings are decoded (all
 * escapes, \uXXXX surrogate pairs to UTF-8) and must be valid UTF-8; they are
 * NUL-terminated but may hold NULs, so always use their length. Duplicate keys,
 * more than JSON_MAX_MEMBERS members or nesting deeper than JSON_MAX_DEPTH are
 * rejected. Input is read with explicit bounds: it need not be NUL-terminated.
 *
 * Writer: builds one object on a buf; strings are escaped (control characters
 * included) and invalid UTF-8 bytes become U+FFFD, so output is always valid. */
#ifndef BANGER_AGENT_JSON_H
#define BANGER_AGENT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define JSON_MAX_MEMBERS 64
#define JSON_MAX_DEPTH 32
#define JSON_MAX_NUMBER_LEN 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_STRARRAY, JSON_OTHER };

struct json_str {
  const char *s; /* NUL-terminated; may contain NULs */
  size_t len;
};

struct json_val {
  enum json_type type;
  bool boolean;
  double number;
  struct json_str raw;    /* JSON_NUMBER: its text as sent, for echoing exactly */
  struct json_str str;    /* JSON_STRING */
  struct json_str *items; /* JSON_STRARRAY */
  size_t count;
};

struct json_member {
  struct json_str key;
  struct json_val val;
};

struct json_obj {
  struct json_member members[JSON_MAX_MEMBERS];
  size_t count;
  char *arena; /* decoded strings */
};

/* Parses text[0..len) as one object. Returns 0, or -1 if it is not one (then
 * obj holds nothing to free). On success release it with json_obj_free. */
int json_parse_object(const char *text, size_t len, struct json_obj *obj);
void json_obj_free(struct json_obj *obj);
/* The member named key, or NULL. */
const struct json_val *json_get(const struct json_obj *obj, const char *key);

/* Writer for one object, ended by a newline (one response line). */
struct json_writer {
  struct buf *out;
  size_t fields;
};

void jw_begin(struct json_writer *w, struct buf *out);
void jw_end(struct json_writer *w); /* writes "}\n" */
/* Writes the separator and "key": ; follow it with one jw_value_* call. */
void jw_key(struct json_writer *w, const char *key);
void jw_value_string(struct json_writer *w, const char *s, size_t len);
void jw_value_raw(struct json_writer *w, const char *text, size_t len); /* trusted JSON text */
void jw_value_double(struct json_writer *w, double v, int decimals);

void jw_string(struct json_writer *w, const char *key, const char *s, size_t len);
void jw_cstring(struct json_writer *w, const char *key, const char *s);
void jw_bool(struct json_writer *w, const char *key, bool v);
void jw_int(struct json_writer *w, const char *key, long long v);
void jw_double_array(struct json_writer *w, const char *key, const double *v, size_t n, int decimals);
void jw_string_array(struct json_writer *w, const char *key, const struct json_str *v, size_t n);

#endif
