/* The environment the agent gives what it starts (sessions, terminals). */
#include <stdlib.h>
#include <string.h>

#include "session.h"

static const char *const BASE_ENV[] = {"HOME=/root", "PATH=" SESSION_DEFAULT_PATH, "LANG=C.UTF-8",
                                       "TERM=dumb",  "USER=root",                   "SHELL=/bin/sh"};
#define BASE_COUNT (sizeof BASE_ENV / sizeof BASE_ENV[0])

static size_t key_len(const char *kv) { return (size_t)(strchr(kv, '=') - kv); }

/* Puts kv into out[0..*n), replacing the entry with the same key. */
static void put(const char **out, size_t *n, const char *kv) {
  size_t k = 0;
  while (k < *n && !(key_len(out[k]) == key_len(kv) && memcmp(out[k], kv, key_len(kv)) == 0)) k++;
  out[k] = kv;
  if (k == *n) (*n)++;
}

const char **session_build_env(const char *const *over, size_t n_over, const struct json_val *env) {
  size_t extra = env ? env->count : 0;
  const char **out = calloc(BASE_COUNT + n_over + extra + 1, sizeof *out);
  if (!out) abort();
  size_t n = 0;
  for (size_t i = 0; i < BASE_COUNT; i++) out[n++] = BASE_ENV[i];
  for (size_t i = 0; i < n_over; i++) put(out, &n, over[i]);
  for (size_t i = 0; i < extra; i++) put(out, &n, env->items[i].s);
  return out;
}
