/* A growable byte buffer. Allocation failure aborts: the agent has nothing
 * sensible to do without memory, and callers stay free of error paths. */
#ifndef BANGER_AGENT_BUF_H
#define BANGER_AGENT_BUF_H

#include <stddef.h>

struct buf {
  char *data;
  size_t len;
  size_t cap;
};

void buf_append(struct buf *b, const void *data, size_t n);
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Empties the buffer and gives its memory back. */
void buf_free(struct buf *b);

#endif
