/* The serial mux transport, for hosts without vsock (the QEMU-based test
 * stand-in): many virtual connections over one byte stream, in frames of
 *   1 byte type | 4 bytes connection id (big-endian) | 4 bytes length (big-endian, <= 65536) | payload
 * 'O' host->guest opens connection id to the port in the payload (ASCII decimal);
 *     the agent answers 'O' (accepted, empty payload) or 'C' (refused).
 * 'D' either way: data for connection id.
 * 'C' either way: connection id is closed; the other side forgets it, no reply.
 * Any other type or a longer payload is a protocol error: the channel is
 * dropped and reopened. So is its end: the agent drops the channel's
 * connections, waits 200 ms and reopens it, forever. */
#ifndef BANGER_AGENT_TRANSPORT_SERIAL_H
#define BANGER_AGENT_TRANSPORT_SERIAL_H

#include "transport.h"

#define SERIAL_MAX_PAYLOAD 65536u
#define SERIAL_REOPEN_MS 200

/* The transport over path (NULL: the virtio-serial port, see serial_open.h),
 * accepting connections to port. */
const struct transport *serial_transport(const char *path, unsigned port);

#endif
