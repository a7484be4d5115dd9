/* Terminals: a shell (or any argv) on a pseudo-terminal, its master carried
 * raw by one connection (see op_pty.c for the ops, docs/guest-agent.md for the
 * protocol). The table lives in memory only: a terminal dies with its
 * connection, unlike a session. */
#ifndef BANGER_AGENT_PTY_H
#define BANGER_AGENT_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conn.h"

#define PTY_MAX 16
#define PTY_NAME_MAX 32            /* "pts/N" and its NUL */
#define PTY_INPUT_MAX (1u << 20)   /* host bytes waiting for the master before the connection is not read */
/* Input past this is dropped. vsock never gets there (it stops reading at
 * PTY_INPUT_MAX); the serial mux can: it cannot hold back one connection
 * without holding back all, the host's hangup of this one included. */
#define PTY_INPUT_DROP (2u << 20)
#define PTY_KILL_GRACE_MS 5000     /* SIGHUP on hangup, SIGKILL this much later */
#define PTY_MAX_FDS PTY_MAX
#define PTY_MIN_SIZE 1
#define PTY_MAX_SIZE 1000          /* cols and rows */

/* ---- pty_proc.c: opening a pty and starting its process ---- */

/* Opens a master (non-blocking, close-on-exec) sized cols x rows, and its
 * slave into *slave: held from here until the child has it, so the master
 * never sees a moment with no slave open (it would report a hangup). The
 * slave's path goes to name (PATH_MAX bytes). Returns the master or -1 (errno set). */
int pty_open(unsigned cols, unsigned rows, char *name, int *slave);
/* Forks the child: setsid, slave as controlling terminal (TIOCSCTTY) on fds
 * 0-2, chdir, execve. An exec failure is written to the terminal and the child
 * exits 127. The caller closes its slave fd. Returns the pid or -1 (errno set). */
pid_t pty_spawn(int slave, const char *exe, char *const argv[], char *const envp[], const char *cwd);
/* TIOCSWINSZ: the kernel sends SIGWINCH to the foreground group. */
int pty_set_size(int master, unsigned cols, unsigned rows);

/* ---- pty_table.c: what the agent tracks, and the poll loop's share ---- */

/* Whether pty_add has room. */
bool pty_room(void);
/* Tracks a started terminal; returns its slot, or -1 when full (caller cleans up). */
int pty_add(int master, pid_t pid, const char *name);
/* The slot of the live terminal named name (its master still open), or -1. */
int pty_find(const char *name, size_t len);
int pty_resize(int slot, unsigned cols, unsigned rows);
/* From now on c carries slot's bytes (c->pty is set). */
void pty_attach(int slot, struct conn *c);
/* Bytes from the host for the terminal's input (buffered while the master is
 * full, up to PTY_INPUT_DROP; the rest is dropped). */
void pty_input(int slot, const char *data, size_t n);
/* More than PTY_INPUT_MAX waits for the master: do not read the connection. */
bool pty_input_full(int slot);
/* The connection went away: close the master, SIGHUP the process group,
 * SIGKILL it PTY_KILL_GRACE_MS later if it is still there. */
void pty_hangup(int slot);
/* session_table.c reaps every child; it tells the terminals about each. */
void pty_reaped(pid_t pid);
/* Poll loop hooks, like a transport's. */
int pty_prepare(struct pollfd *fds, int room, int *timeout_ms);
void pty_dispatch(const struct pollfd *fds, int n);

#endif
