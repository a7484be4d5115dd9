/* Turns request lines into response lines. Transport-agnostic. */
#ifndef BANGER_AGENT_HANDLERS_H
#define BANGER_AGENT_HANDLERS_H

#include <stddef.h>

#include "buf.h"

/* Answers one request line (without its newline; need not be NUL-terminated):
 * appends exactly one response line, newline included, to out. Returns -1, or
 * the pty slot the connection must carry from now on (a pty_open succeeded). */
int handle_request(const char *line, size_t len, struct buf *out);

/* Appends the response to a line longer than AGENT_MAX_LINE. */
void handle_line_too_long(struct buf *out);

#endif
