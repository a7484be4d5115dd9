/* What the main loop needs from a transport. Exactly one is active. */
#ifndef BANGER_AGENT_TRANSPORT_H
#define BANGER_AGENT_TRANSPORT_H

#include <poll.h>

#include "agent.h"

/* Room prepare() may use: every connection plus one listener or channel. */
#define TRANSPORT_MAX_FDS (AGENT_MAX_CONNS + 1)

struct transport {
  /* Fills fds (room for TRANSPORT_MAX_FDS) with what to wait for, returns how
   * many; may lower *timeout_ms (which starts at -1, no timeout). */
  int (*prepare)(struct pollfd *fds, int *timeout_ms);
  /* Acts on poll()'s answer for the n fds that prepare() just gave. */
  void (*dispatch)(const struct pollfd *fds, int n);
};

#endif
