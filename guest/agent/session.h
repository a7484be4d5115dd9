/* Long-lived sessions: processes the agent starts in the guest and tracks.
 * Their state lives in files under SESSIONS_DIR/<name>/ (meta.json, exit.json,
 * the stdout and stderr logs), written by the agent and, for the logs, by the
 * session itself, so sessions outlive the host daemon and the agent: an agent
 * restarted in the same boot reads them back. See docs/guest-agent.md. */
#ifndef BANGER_AGENT_SESSION_H
#define BANGER_AGENT_SESSION_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "json.h"

#define SESSIONS_DIR "/run/banger/sessions"
#define SESSION_NAME_MAX 63
/* A log past SESSION_LOG_CAP bytes is cut to its last SESSION_LOG_KEEP. */
#define SESSION_LOG_CAP (8ull << 20)
#define SESSION_LOG_KEEP (4ull << 20)
#define SESSION_LOGS_MAX (256u << 10) /* bytes per session_logs answer */
#define SESSION_INPUT_MAX (1u << 20)  /* input buffered per session */
#define SESSION_TABLE_MAX 256         /* sessions the agent tracks at once */
#define SESSION_TICK_MS 1000
#define SESSION_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum session_stream { SESSION_STDOUT, SESSION_STDERR };
extern const char *const session_stream_names[2];

/* ---- session_store.c: the files ---- */

/* ^[a-z0-9][a-z0-9_.-]{0,62}$ */
bool session_name_ok(const char *s, size_t len);
/* SESSIONS_DIR/<name>[/<file>] into out (PATH_MAX bytes). */
void session_path(char *out, const char *name, const char *file);
/* Now, as ISO-8601 UTC with milliseconds, into out (32 bytes). */
void session_now_iso(char *out);
/* Writes text to path through a temporary file and a rename. */
int session_write_file(const char *path, const char *text, size_t len, mode_t mode);
/* Creates SESSIONS_DIR/<name> (0700, parents 0755), emptying one left there. */
int session_make_dir(const char *name);

struct session_meta {
  const char *name;
  const struct json_str *argv;
  size_t argc;
  const char *cwd;
  bool pipe; /* stdin "pipe", else "detached" */
  long pid;
  unsigned long long start_ticks; /* /proc/<pid>/stat start time; 0: unknown */
  const char *started_at;
  unsigned long long dropped[2]; /* bytes cut from the front of each log */
};
int session_write_meta(const struct session_meta *m);
/* Writes exit.json from a waitpid status. */
int session_write_exit(const char *name, int status);

/* A session as its files (and its pid's liveness) say. */
struct session_info {
  struct json_obj meta;
  struct session_meta m; /* fields of meta, pointing into it */
  bool running;
  bool has_exit;
  struct json_obj exit; /* exit.json, when has_exit */
};
/* 0, or -1 if there is no such session (no readable meta.json). */
int session_load(const char *name, struct session_info *si);
void session_info_free(struct session_info *si);
/* Records new dropped counts in meta.json. */
int session_save_dropped(const char *name, const unsigned long long dropped[2]);

/* ---- session_proc.c: processes ---- */

/* The start time of pid from /proc, or 0 when /proc cannot say. */
unsigned long long session_start_ticks(long pid);
/* Alive and, if /proc can tell, still the process that started at start_ticks. */
bool session_pid_alive(long pid, unsigned long long start_ticks);
/* Finds cmd as execve would be given it: with a '/', an executable regular
 * file; else the first such file in path. 0 (resolved in out, PATH_MAX) or -1. */
int session_find_command(const char *cmd, const char *path, char *out);
/* Forks the session: setsid, chdir, stdin from stdin_fd (or /dev/null if -1),
 * stdout/stderr appended to its logs, execve. Returns the pid or -1. */
pid_t session_spawn(const char *name, const char *exe, char *const argv[], char *const envp[], const char *cwd, int stdin_fd);

/* ---- session_env.c ---- */

/* The base environment (HOME=/root, PATH, LANG, TERM=dumb, USER, SHELL), then
 * over's K=V entries, then env's (a JSON_STRARRAY of K=V, or NULL), each
 * replacing an earlier entry with its key. A NULL-terminated array to free();
 * the strings are borrowed. */
const char **session_build_env(const char *const *over, size_t n_over, const struct json_val *env);

/* ---- session_cap.c ---- */

/* If the log at path passed SESSION_LOG_CAP, keeps its tail; returns the
 * bytes cut from its front (0 if none). */
unsigned long long session_cap_log(const char *path);

/* ---- session_table.c: what the agent tracks in memory ---- */

/* Starts tracking: the SIGCHLD pipe, and sessions a previous agent left running. */
void sessions_init(void);
/* Tracks a session just started (stdin_fd: the pipe's write end or -1). */
void sessions_add(const char *name, pid_t pid, unsigned long long start_ticks, int stdin_fd);
/* Whether sessions_add has room for one more. */
bool sessions_room(void);
/* Forgets an exited session (before its directory is replaced). */
void sessions_forget(const char *name);
/* Poll loop hooks, like a transport's: reaps, caps logs, fires stop timers. */
int sessions_prepare(struct pollfd *fds, int room, int *timeout_ms);
void sessions_dispatch(const struct pollfd *fds, int n);
/* Sends SIGKILL to name's group after grace_ms unless it ended. */
void sessions_kill_later(const char *name, long pid, long long grace_ms);
/* Input for a pipe-mode session. 0; -1 not tracked with a pipe (or closed);
 * -2 over SESSION_INPUT_MAX. */
int sessions_write(const char *name, const char *data, size_t n);
/* Closes the stdin pipe once its buffered input is written. 0, or -1 as above. */
int sessions_close_stdin(const char *name);
#define SESSIONS_MAX_FDS (SESSION_TABLE_MAX + 1)

/* ---- op helpers (op_session_*.c) ---- */

/* Writes {"ok":false,"error":<formatted>}. */
void session_fail(struct json_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The "name" member, checked; on failure writes the error and returns NULL. */
const char *session_req_name(const struct json_obj *req, struct json_writer *w);
/* The session named in req, loaded; on failure (bad name, no such session)
 * writes the error and returns -1. Free si with session_info_free. */
int session_req_load(const struct json_obj *req, struct json_writer *w, struct session_info *si);
/* Member key as an array of strings without NULs: 0 (*out NULL when absent),
 * or -1 with the error written. */
int session_req_strings(const struct json_obj *req, struct json_writer *w, const char *key, const struct json_val **out);
/* Member key as a whole number in [0, max], def when absent; on failure
 * writes the error and returns -1. */
int session_req_uint(const struct json_obj *req, struct json_writer *w, const char *key, unsigned long long def,
                     unsigned long long max, unsigned long long *out);

#endif
