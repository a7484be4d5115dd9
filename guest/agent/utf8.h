/* UTF-8 helpers shared by the JSON parser (which rejects invalid input) and
 * writer (which replaces invalid bytes so its output is always valid JSON). */
#ifndef BANGER_AGENT_UTF8_H
#define BANGER_AGENT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s, or 0 if it is not one
 * (truncated, overlong, a surrogate, or beyond U+10FFFF). Reads at most n bytes. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Encodes code point cp (<= 0x10FFFF, not a surrogate) into out; returns its length. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
