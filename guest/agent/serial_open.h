/* Finding and opening the serial channel that carries the mux (see transport_serial.h). */
#ifndef BANGER_AGENT_SERIAL_OPEN_H
#define BANGER_AGENT_SERIAL_OPEN_H

#include <stddef.h>

/* The virtio-serial port name the host gives the channel. */
#define SERIAL_PORT_NAME "banger.vsock"

/* Opens path, or when path is NULL the virtio-serial port named
 * SERIAL_PORT_NAME (found in /sys/class/virtio-ports). A Unix socket is
 * connected to as a stream; a terminal is put in raw mode. Writes what was
 * opened to name (for logs). Returns a non-blocking fd, or -1 with errno. */
int serial_open(const char *path, char *name, size_t name_len);

#endif
