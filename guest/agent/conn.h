/* Connections, whatever carries them: a table of AGENT_MAX_CONNS slots, and
 * the assembly of request lines from received bytes. */
#ifndef BANGER_AGENT_CONN_H
#define BANGER_AGENT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct conn {
  bool used;
  int fd;          /* vsock: the accepted socket; serial: -1 */
  bool serial;     /* carried by the serial mux (else vsock); each transport serves only its own */
  uint32_t mux_id; /* serial: the id the host gave the connection */
  struct buf in;   /* the start of a request line whose newline has not come yet */
  size_t scanned;  /* bytes of in already searched for a newline */
  struct buf out;  /* responses not sent yet */
  bool closing;    /* read no more; close once out is sent */
  int pty;         /* >= 0: raw mode, the bytes of this pty slot (pty.h) both ways; -1: request lines */
};

/* A fresh slot (fd -1), or NULL when AGENT_MAX_CONNS are in use. */
struct conn *conn_open(void);
/* Frees the slot and its buffers, hanging up its pty if it carries one;
 * closing c->fd is the caller's business. */
void conn_close(struct conn *c);
/* Slot i, 0 <= i < AGENT_MAX_CONNS, used or not. */
struct conn *conn_slot(int i);

/* Takes n received bytes: answers every complete line into c->out, in order.
 * Returns false when the connection must close once out is sent: a line
 * longer than AGENT_MAX_LINE was answered with an error (the rest is dropped).
 * In raw mode (c->pty >= 0), and after the line that switched to it, the bytes
 * go to the pty's input as they are. */
bool conn_receive(struct conn *c, const char *data, size_t n);

#endif
