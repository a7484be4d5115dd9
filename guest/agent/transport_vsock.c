#include "transport_vsock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "devnode.h"
#include "log.h"
#include "pty.h"
#include "vsock_abi.h"

static int listener = -1;
/* The connection behind each pollfd that prepare() gave (index 0 is the listener). */
static struct conn *polled[TRANSPORT_MAX_FDS];

/* The virtio vsock driver's sysfs directory: its entries include one
 * "virtioN" link per device it drives. */
#define VSOCK_DRIVER_DIR "/sys/bus/virtio/drivers/vmw_vsock_virtio_transport"

/* 1 when the virtio vsock driver drives a device, 0 when it drives none,
 * -1 when there is no such driver to ask (vsock built differently). Device
 * probing is done by the time the module is loaded, so this does not race
 * the way /dev/vsock's node (created asynchronously) can. */
static int virtio_vsock_device(void) {
  DIR *d = opendir(VSOCK_DRIVER_DIR);
  if (!d) return -1;
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) found = strncmp(e->d_name, "virtio", 6) == 0;
  closedir(d);
  return found;
}

/* False when the kernel has no vsock device: the virtio driver drives
 * none, or /dev/vsock reports no local CID. When neither can tell, the
 * listener is trusted. */
static int has_transport(void) {
  int device = virtio_vsock_device();
  if (device >= 0) return device;
  int fd = devnode_open("/dev/vsock", "/sys/class/misc/vsock/dev", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  unsigned int cid = VSOCK_CID_ANY;
  int r = ioctl(fd, VSOCK_IOCTL_GET_LOCAL_CID, &cid);
  close(fd);
  return r != 0 || cid != VSOCK_CID_ANY;
}

int vsock_listen(unsigned port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct vsock_addr addr;
  memset(&addr, 0, sizeof addr);
  addr.svm_family = AF_VSOCK;
  addr.svm_port = port;
  addr.svm_cid = VSOCK_CID_ANY;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  if (!has_transport()) {
    close(fd);
    errno = ENODEV;
    return -1;
  }
  listener = fd;
  return 0;
}

static void drop(struct conn *c) {
  close(c->fd);
  conn_close(c);
}

static void accept_all(void) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) agent_log("vsock accept: %s", strerror(errno));
      return;
    }
    struct conn *c = conn_open();
    if (!c) {
      close(fd); /* at the connection limit: the host sees the connection end at once */
      continue;
    }
    c->fd = fd;
  }
}

/* Sends what it can of c->out. Returns -1 if the connection is broken. */
static int flush(struct conn *c) {
  while (c->out.len > 0) {
    ssize_t w = write(c->fd, c->out.data, c->out.len);
    if (w > 0) {
      buf_consume(&c->out, (size_t)w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      return w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
  }
  return 0;
}

static void serve(struct conn *c, short revents) {
  static char chunk[65536];
  if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->closing) {
    ssize_t r = read(c->fd, chunk, sizeof chunk);
    if (r > 0) {
      if (!conn_receive(c, chunk, (size_t)r)) c->closing = true;
    } else if (r == 0) {
      c->closing = true; /* the host sent all it will; answer what came, then close */
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      drop(c);
      return;
    }
  }
  if (flush(c) != 0 || (c->closing && c->out.len == 0)) drop(c);
}

static int prepare(struct pollfd *fds, int *timeout_ms) {
  (void)timeout_ms;
  int n = 0;
  fds[n] = (struct pollfd){.fd = listener, .events = POLLIN};
  polled[n++] = NULL;
  for (int i = 0; i < AGENT_MAX_CONNS; i++) {
    struct conn *c = conn_slot(i);
    if (!c->used || c->serial) continue;
    /* Closed by its pty's end with nothing left to send: no event would come for it. */
    if (c->closing && c->out.len == 0) {
      drop(c);
      continue;
    }
    short ev = 0;
    bool input_room = c->pty < 0 || !pty_input_full(c->pty);
    if (!c->closing && c->out.len < AGENT_OUT_HIGH_WATER && input_room) ev |= POLLIN;
    if (c->out.len > 0) ev |= POLLOUT;
    fds[n] = (struct pollfd){.fd = c->fd, .events = ev};
    polled[n++] = c;
  }
  return n;
}

static void dispatch(const struct pollfd *fds, int n) {
  for (int i = 1; i < n; i++) {
    if (fds[i].revents) serve(polled[i], fds[i].revents);
  }
  if (fds[0].revents & POLLIN) accept_all();
}

const struct transport vsock_transport = {prepare, dispatch};
