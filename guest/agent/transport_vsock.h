/* The vsock transport (real Firecracker): a listening AF_VSOCK socket, one
 * stream per host connection. */
#ifndef BANGER_AGENT_TRANSPORT_VSOCK_H
#define BANGER_AGENT_TRANSPORT_VSOCK_H

#include "transport.h"

/* Listens on port for any CID. Returns 0, or -1 with errno set when vsock is
 * unusable here: no AF_VSOCK, bind/listen refused, or no vsock device (the
 * kernel accepts a listener even then, but nothing could ever connect). */
int vsock_listen(unsigned port);

extern const struct transport vsock_transport;

#endif
