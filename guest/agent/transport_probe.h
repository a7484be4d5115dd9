/* Vsock that gives way to the serial mux. A kernel can accept a vsock
 * listener before it knows whether a vsock device exists, and the QEMU test
 * stand-in's virtio-serial port (see transport_serial.h) can appear seconds
 * after the agent starts on a loaded host. So the agent starts on vsock and,
 * for PROBE_MS or until vsock accepts a connection (which proves it works),
 * looks for the port every PROBE_STEP_MS; when the port appears it closes
 * vsock and serves the serial mux from then on. */
#ifndef BANGER_AGENT_TRANSPORT_PROBE_H
#define BANGER_AGENT_TRANSPORT_PROBE_H

#include "transport.h"

#define PROBE_MS 60000
#define PROBE_STEP_MS 250

/* Wraps the vsock transport (already listening on port). */
const struct transport *probe_transport(unsigned port);

#endif
