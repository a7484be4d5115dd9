/* The serial mux transport, for hosts without vsock (the QEMU-based test
 * stand-in): many virtual connections over one byte stream, in frames of
 *   1 byte type | 4 bytes connection id (big-endian) | 4 bytes length (big-endian, <= 65536) | payload
 * 'O' host->guest opens connection id to the port in the payload (ASCII decimal);
 *     the agent answers 'O' (accepted, empty payload) or 'C' (refused).
 * 'D' either way: data for connection id.
 * 'C' either way: connection id is closed; the other side forgets it, no reply.
 * Any other type or a longer payload is a protocol error: the channel is
 * dropped and reopened. So is its end: the agent drops the channel's
 * connections, waits 200 ms and reopens it, forever. A port that is not
 * there is looked for every 200 ms for the first minute, then every 5 s. */
#ifndef BANGER_AGENT_TRANSPORT_SERIAL_H
#define BANGER_AGENT_TRANSPORT_SERIAL_H

#include <stdbool.h>

#include "transport.h"

#define SERIAL_MAX_PAYLOAD 65536u
#define SERIAL_REOPEN_MS 200
#define SERIAL_EAGER_MS 60000
#define SERIAL_SLOW_REOPEN_MS 5000

/* The transport over path (NULL: the virtio-serial port, see serial_open.h),
 * accepting connections to port. beside_vsock: vsock serves too, so a port
 * that does not exist is not logged. */
const struct transport *serial_transport(const char *path, unsigned port, bool beside_vsock);

#endif
