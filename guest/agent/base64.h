/* Base64 (RFC 4648, standard alphabet, with padding): session output goes out
 * as base64 in a JSON string, and session input comes in that way. */
#ifndef BANGER_AGENT_BASE64_H
#define BANGER_AGENT_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Appends the encoding of data[0..n) to out. */
void base64_encode(struct buf *out, const void *data, size_t n);
/* Appends the bytes s[0..len) encodes to out. Returns -1 (out unchanged) if s
 * is not base64: a length not a multiple of 4, a foreign character, padding
 * anywhere but at the end. */
int base64_decode(struct buf *out, const char *s, size_t len);

#endif
