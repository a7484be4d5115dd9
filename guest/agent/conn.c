#include "conn.h"

#include <string.h>

#include "agent.h"
#include "handlers.h"
#include "pty.h"

static struct conn table[AGENT_MAX_CONNS];

struct conn *conn_open(void) {
  for (int i = 0; i < AGENT_MAX_CONNS; i++) {
    if (!table[i].used) {
      memset(&table[i], 0, sizeof table[i]);
      table[i].used = true;
      table[i].fd = -1;
      table[i].pty = -1;
      return &table[i];
    }
  }
  return NULL;
}

void conn_close(struct conn *c) {
  if (c->pty >= 0) pty_hangup(c->pty);
  buf_free(&c->in);
  buf_free(&c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
  c->pty = -1;
}

struct conn *conn_slot(int i) { return &table[i]; }

static void too_long(struct conn *c) {
  handle_line_too_long(&c->out);
  c->closing = true;
  buf_free(&c->in);
  c->scanned = 0;
}

bool conn_receive(struct conn *c, const char *data, size_t n) {
  if (c->closing) return false;
  if (c->pty >= 0) {
    pty_input(c->pty, data, n);
    return true;
  }
  buf_append(&c->in, data, n);
  size_t start = 0;        /* of the line being looked at */
  size_t pos = c->scanned; /* bytes before this hold no newline */
  while (pos < c->in.len) {
    const char *nl = memchr(c->in.data + pos, '\n', c->in.len - pos);
    if (!nl) {
      pos = c->in.len;
      break;
    }
    size_t end = (size_t)(nl - c->in.data);
    if (end - start > AGENT_MAX_LINE) {
      too_long(c);
      return false;
    }
    int slot = handle_request(c->in.data + start, end - start, &c->out);
    start = pos = end + 1;
    if (slot >= 0) {
      /* What followed the request's newline is the terminal's first input. */
      pty_attach(slot, c);
      if (c->in.len > start) pty_input(slot, c->in.data + start, c->in.len - start);
      buf_free(&c->in);
      c->scanned = 0;
      return true;
    }
  }
  /* Known too long before its newline comes: no need to buffer the rest. */
  if (c->in.len - start > AGENT_MAX_LINE) {
    too_long(c);
    return false;
  }
  buf_consume(&c->in, start);
  c->scanned = pos - start;
  return true;
}
