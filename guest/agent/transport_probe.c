#include "transport_probe.h"

#include <stddef.h>
#include <time.h>

#include "log.h"
#include "serial_open.h"
#include "transport_serial.h"
#include "transport_vsock.h"

static const struct transport *current; /* vsock until the switch, then serial */
static unsigned listen_port;
static long long give_up_at, next_look_at; /* monotonic ms */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int probing(void) { return current == &vsock_transport && give_up_at > 0; }

/* Switches to serial when the port has appeared; stops looking when vsock
 * proved itself or the time is up. */
static void look(void) {
  long long now = now_ms();
  if (vsock_accepted() || now >= give_up_at) {
    give_up_at = 0;
    return;
  }
  if (now < next_look_at) return;
  next_look_at = now + PROBE_STEP_MS;
  if (!serial_port_present()) return;
  agent_log("virtio-serial port %s appeared: leaving vsock for it", SERIAL_PORT_NAME);
  vsock_stop();
  current = serial_transport(NULL, listen_port);
}

static int prepare(struct pollfd *fds, int *timeout_ms) {
  if (probing()) look();
  int n = current->prepare(fds, timeout_ms);
  if (probing()) {
    long long wait = next_look_at - now_ms();
    if (wait < 0) wait = 0;
    if (*timeout_ms < 0 || wait < *timeout_ms) *timeout_ms = (int)wait;
  }
  return n;
}

/* prepare() never switches between its own fds and this call. */
static void dispatch(const struct pollfd *fds, int n) { current->dispatch(fds, n); }

static const struct transport probe = {prepare, dispatch};

const struct transport *probe_transport(unsigned port) {
  current = &vsock_transport;
  listen_port = port;
  give_up_at = now_ms() + PROBE_MS;
  next_look_at = 0;
  return &probe;
}
