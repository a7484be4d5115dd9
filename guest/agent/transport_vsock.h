/* The vsock transport (real Firecracker): a listening AF_VSOCK socket, one
 * stream per host connection. */
#ifndef BANGER_AGENT_TRANSPORT_VSOCK_H
#define BANGER_AGENT_TRANSPORT_VSOCK_H

#include <stdbool.h>

#include "transport.h"

/* Listens on port for any CID. Returns 0, or -1 with errno set when vsock is
 * unusable here: no AF_VSOCK, bind/listen refused, or no vsock device (the
 * kernel accepts a listener even then, but nothing could ever connect). */
int vsock_listen(unsigned port);

/* True once the listener accepted a connection (vsock is known to work). */
bool vsock_accepted(void);
/* Closes the listener and every vsock connection. */
void vsock_stop(void);

extern const struct transport vsock_transport;

#endif
