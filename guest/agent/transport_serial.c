#include "transport_serial.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "serial_open.h"

#define HEADER 9

static const char *chan_path;
static unsigned listen_port;
static int chan = -1;
static char chan_name[320];
static long long reopen_at;  /* monotonic ms at which to try opening again */
static bool open_failing;    /* the last open failed: said once, not every 200 ms */
static int open_errno;       /* why it failed */
static bool open_announced;  /* "using ..." said and not yet followed by a close */
static bool received;        /* bytes came since the channel opened */
static bool quiet;           /* vsock serves too: a missing port is expected, not news */
static long long started_at; /* monotonic ms of serial_transport() */
static unsigned char in[HEADER + SERIAL_MAX_PAYLOAD];
static size_t in_len;
static struct buf out;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void send_frame(char type, uint32_t id, const char *data, size_t n) {
  unsigned char h[HEADER] = {(unsigned char)type, id >> 24, id >> 16, id >> 8, id,
                             n >> 24,             n >> 16,  n >> 8,   n};
  buf_append(&out, h, HEADER);
  buf_append(&out, data, n);
}

/* Moves c's pending responses into 'D' frames on the channel. */
static void send_output(struct conn *c) {
  for (size_t off = 0; off < c->out.len;) {
    size_t n = c->out.len - off < SERIAL_MAX_PAYLOAD ? c->out.len - off : SERIAL_MAX_PAYLOAD;
    send_frame('D', c->mux_id, c->out.data + off, n);
    off += n;
  }
  c->out.len = 0;
}

static struct conn *find(uint32_t id) {
  for (int i = 0; i < AGENT_MAX_CONNS; i++) {
    struct conn *c = conn_slot(i);
    if (c->used && c->serial && c->mux_id == id) return c;
  }
  return NULL;
}

/* 1 to 10 ASCII digits that fit in 32 bits. */
static bool parse_port(const unsigned char *p, size_t n, uint32_t *port) {
  if (n == 0 || n > 10) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  *port = (uint32_t)v;
  return v <= UINT32_MAX;
}

static void on_frame(char type, uint32_t id, const unsigned char *p, size_t n) {
  struct conn *c = find(id);
  uint32_t port;
  if (type == 'O') {
    if (c) conn_close(c); /* the host reuses an id only once it forgot the old connection */
    c = parse_port(p, n, &port) && port == listen_port ? conn_open() : NULL;
    if (c) {
      c->serial = true;
      c->mux_id = id;
    }
    send_frame(c ? 'O' : 'C', id, NULL, 0);
  } else if (type == 'D') {
    if (!c) return; /* closed here while the host was still sending: it gets our 'C' */
    bool keep = conn_receive(c, (const char *)p, n);
    send_output(c);
    if (!keep) {
      send_frame('C', id, NULL, 0);
      conn_close(c);
    }
  } else if (c) {
    conn_close(c);
  }
}

/* Forgets the channel and its connections; prepare() reopens it later. */
static void drop(const char *why) {
  /* A channel that closes before saying anything is a host not listening yet:
   * that repeats every SERIAL_REOPEN_MS, so it is not logged. */
  if (why && received) {
    agent_log("serial channel %s: %s; reopening", chan_name, why);
    open_announced = false;
  }
  close(chan);
  chan = -1;
  for (int i = 0; i < AGENT_MAX_CONNS; i++) {
    if (conn_slot(i)->used && conn_slot(i)->serial) conn_close(conn_slot(i));
  }
  in_len = 0;
  buf_free(&out);
  reopen_at = now_ms() + SERIAL_REOPEN_MS;
}

static void on_readable(void) {
  ssize_t r = read(chan, in + in_len, sizeof in - in_len);
  if (r == 0) {
    drop("closed by the other end");
    return;
  }
  if (r < 0) {
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) drop(strerror(errno));
    return;
  }
  received = true;
  in_len += (size_t)r;
  size_t off = 0;
  while (in_len - off >= HEADER) {
    const unsigned char *h = in + off;
    uint32_t id = be32(h + 1), len = be32(h + 5);
    if ((h[0] != 'O' && h[0] != 'D' && h[0] != 'C') || len > SERIAL_MAX_PAYLOAD) {
      agent_log("serial protocol error: frame type 0x%02x, length %u", h[0], len);
      drop("protocol error");
      return;
    }
    if (in_len - off - HEADER < len) break;
    on_frame((char)h[0], id, h + HEADER, len);
    off += HEADER + len;
  }
  memmove(in, in + off, in_len - off);
  in_len -= off;
}

static void flush(void) {
  while (out.len > 0) {
    ssize_t w = write(chan, out.data, out.len);
    if (w > 0) {
      buf_consume(&out, (size_t)w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) drop(w == 0 ? "write failed" : strerror(errno));
      return;
    }
  }
}

static void try_open(void) {
  chan = serial_open(chan_path, chan_name, sizeof chan_name);
  if (chan < 0) {
    /* Said once per kind of failure; beside vsock, a port that is not there is not news. */
    if ((!open_failing || errno != open_errno) && !(quiet && errno == ENOENT))
      agent_log("cannot open serial channel %s: %s; retrying", chan_name, strerror(errno));
    open_errno = errno;
    open_failing = true;
    /* A port appears early in a boot or not at all: look often at first, then seldom. */
    long long now = now_ms();
    reopen_at = now + (now - started_at < SERIAL_EAGER_MS ? SERIAL_REOPEN_MS : SERIAL_SLOW_REOPEN_MS);
    return;
  }
  if (!open_announced) agent_log("using serial channel %s", chan_name);
  open_failing = false;
  open_announced = true;
  received = false;
}

static int prepare(struct pollfd *fds, int *timeout_ms) {
  if (chan < 0 && now_ms() >= reopen_at) try_open();
  if (chan < 0) {
    long long wait = reopen_at - now_ms();
    if (wait < 0) wait = 0;
    if (*timeout_ms < 0 || wait < *timeout_ms) *timeout_ms = (int)wait;
    return 0;
  }
  /* Output a pty gave its connection since the last round, and its end. */
  for (int i = 0; i < AGENT_MAX_CONNS; i++) {
    struct conn *c = conn_slot(i);
    if (!c->used || !c->serial) continue;
    if (c->out.len > 0 && out.len < AGENT_OUT_HIGH_WATER) send_output(c);
    if (c->closing && c->out.len == 0) {
      send_frame('C', c->mux_id, NULL, 0);
      conn_close(c);
    }
  }
  short ev = out.len < AGENT_OUT_HIGH_WATER ? POLLIN : 0;
  if (out.len > 0) ev |= POLLOUT;
  fds[0] = (struct pollfd){.fd = chan, .events = ev};
  return 1;
}

static void dispatch(const struct pollfd *fds, int n) {
  if (n < 1 || fds[0].revents == 0) return;
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) on_readable();
  if (chan >= 0) flush();
}

static const struct transport serial = {prepare, dispatch};

const struct transport *serial_transport(const char *path, unsigned port, bool beside_vsock) {
  chan_path = path;
  listen_port = port;
  quiet = beside_vsock;
  started_at = now_ms();
  return &serial;
}
