/* The request parser; see json.h for what it accepts. Every read is checked
 * against the end of the input, and recursion is bounded by JSON_MAX_DEPTH. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

struct parser {
  const unsigned char *p, *end;
  /* Decoded strings and number texts. Each needs at most the bytes it took in
   * the input (quotes or a following separator pay for the NUL), so an arena
   * of the input's length always suffices; emit() still checks. */
  char *arena;
  size_t used, cap;
};

static int parse_value(struct parser *ps, struct json_val *v, int depth);

static void skip_ws(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static int emit(struct parser *ps, const void *data, size_t n) {
  if (n > ps->cap - ps->used) return -1;
  memcpy(ps->arena + ps->used, data, n);
  ps->used += n;
  return 0;
}

static int hex4(struct parser *ps, uint32_t *out) {
  if (ps->end - ps->p < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = ps->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  ps->p += 4;
  *out = v;
  return 0;
}

/* \uXXXX after the backslash-u; a high surrogate must be followed by a low one. */
static int unicode_escape(struct parser *ps) {
  uint32_t cp, lo;
  if (hex4(ps, &cp) || (cp >= 0xDC00 && cp <= 0xDFFF)) return -1;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') return -1;
    ps->p += 2;
    if (hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) return -1;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  }
  char u[4];
  return emit(ps, u, utf8_encode(cp, u));
}

/* At the opening quote. */
static int parse_string(struct parser *ps, struct json_str *out) {
  size_t start = ps->used;
  ps->p++;
  for (;;) {
    if (ps->p >= ps->end) return -1;
    unsigned char c = *ps->p;
    if (c == '"') break;
    if (c < 0x20) return -1;
    if (c != '\\') {
      size_t n = utf8_seq_len(ps->p, (size_t)(ps->end - ps->p));
      if (n == 0 || emit(ps, ps->p, n)) return -1;
      ps->p += n;
      continue;
    }
    if (++ps->p >= ps->end) return -1;
    char e = (char)*ps->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) {
      if (emit(ps, &to[hit - from], 1)) return -1;
    } else if (e != 'u' || unicode_escape(ps)) {
      return -1;
    }
  }
  ps->p++;
  out->s = ps->arena + start;
  out->len = ps->used - start;
  return emit(ps, "", 1);
}

static int is_digit(const struct parser *ps, const unsigned char *q) { return q < ps->end && *q >= '0' && *q <= '9'; }

static int parse_number(struct parser *ps, struct json_val *v) {
  const unsigned char *q = ps->p;
  if (q < ps->end && *q == '-') q++;
  if (!is_digit(ps, q)) return -1;
  if (*q++ != '0')
    while (is_digit(ps, q)) q++;
  if (q < ps->end && *q == '.') {
    if (!is_digit(ps, ++q)) return -1;
    while (is_digit(ps, q)) q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (!is_digit(ps, q)) return -1;
    while (is_digit(ps, q)) q++;
  }
  size_t n = (size_t)(q - ps->p);
  if (n > JSON_MAX_NUMBER_LEN) return -1;
  v->raw.s = ps->arena + ps->used;
  v->raw.len = n;
  if (emit(ps, ps->p, n) || emit(ps, "", 1)) return -1;
  v->number = strtod(v->raw.s, NULL);
  v->type = JSON_NUMBER;
  ps->p = q;
  return 0;
}

static int literal(struct parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return -1;
  ps->p += n;
  return 0;
}

/* After a member or element: ',' (returns 1) or the closing character (returns 0). */
static int next_or_close(struct parser *ps, char close) {
  skip_ws(ps);
  if (ps->p >= ps->end) return -1;
  char c = (char)*ps->p++;
  return c == ',' ? 1 : c == close ? 0 : -1;
}

/* Keeps an array of strings as JSON_STRARRAY; any other element makes it JSON_OTHER. */
static int parse_array(struct parser *ps, struct json_val *v, int depth) {
  if (depth >= JSON_MAX_DEPTH) return -1;
  ps->p++;
  v->type = JSON_STRARRAY;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return 0;
  }
  size_t cap = 0;
  for (;;) {
    struct json_val item;
    int r = parse_value(ps, &item, depth + 1);
    free(item.items);
    if (r) return -1;
    if (item.type == JSON_STRING && v->type == JSON_STRARRAY) {
      if (v->count == cap) {
        cap = cap ? cap * 2 : 8;
        struct json_str *grown = realloc(v->items, cap * sizeof *grown);
        if (!grown) abort();
        v->items = grown;
      }
      v->items[v->count++] = item.str;
    } else if (v->type == JSON_STRARRAY) {
      free(v->items);
      v->items = NULL;
      v->count = 0;
      v->type = JSON_OTHER;
    }
    r = next_or_close(ps, ']');
    if (r <= 0) return r;
  }
}

/* Members go to obj when given, else are checked and dropped (a nested object). */
static int parse_members(struct parser *ps, struct json_obj *obj, int depth) {
  if (depth >= JSON_MAX_DEPTH || ps->p >= ps->end || *ps->p != '{') return -1;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return 0;
  }
  for (;;) {
    struct json_member m;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps, &m.key)) return -1;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p++ != ':') return -1;
    int r = parse_value(ps, &m.val, depth + 1);
    if (r == 0 && obj) {
      if (obj->count == JSON_MAX_MEMBERS) r = -1;
      for (size_t i = 0; r == 0 && i < obj->count; i++) {
        const struct json_str *k = &obj->members[i].key;
        if (k->len == m.key.len && memcmp(k->s, m.key.s, k->len) == 0) r = -1;
      }
    }
    if (r == 0 && obj) obj->members[obj->count++] = m;
    else free(m.val.items);
    if (r) return -1;
    r = next_or_close(ps, '}');
    if (r <= 0) return r;
  }
}

static int parse_value(struct parser *ps, struct json_val *v, int depth) {
  memset(v, 0, sizeof *v);
  skip_ws(ps);
  if (ps->p >= ps->end) return -1;
  switch (*ps->p) {
  case '"':
    v->type = JSON_STRING;
    return parse_string(ps, &v->str);
  case '[':
    return parse_array(ps, v, depth);
  case '{':
    v->type = JSON_OTHER;
    return parse_members(ps, NULL, depth);
  case 't':
    v->type = JSON_BOOL;
    v->boolean = true;
    return literal(ps, "true");
  case 'f':
    v->type = JSON_BOOL;
    return literal(ps, "false");
  case 'n':
    v->type = JSON_NULL;
    return literal(ps, "null");
  default:
    return parse_number(ps, v);
  }
}

int json_parse_object(const char *text, size_t len, struct json_obj *obj) {
  obj->count = 0;
  obj->arena = malloc(len + 1);
  if (!obj->arena) abort();
  struct parser ps = {(const unsigned char *)text, (const unsigned char *)text + len, obj->arena, 0, len + 1};
  skip_ws(&ps);
  int r = parse_members(&ps, obj, 0);
  skip_ws(&ps);
  if (r == 0 && ps.p == ps.end) return 0;
  json_obj_free(obj);
  return -1;
}

void json_obj_free(struct json_obj *obj) {
  for (size_t i = 0; i < obj->count; i++) free(obj->members[i].val.items);
  obj->count = 0;
  free(obj->arena);
  obj->arena = NULL;
}

const struct json_val *json_get(const struct json_obj *obj, const char *key) {
  size_t n = strlen(key);
  for (size_t i = 0; i < obj->count; i++) {
    const struct json_member *m = &obj->members[i];
    if (m->key.len == n && memcmp(m->key.s, key, n) == 0) return &m->val;
  }
  return NULL;
}
