/* The ops the agent answers. To add one: write op_<name>.c with a handler of
 * this type, declare it here and list it in the table in handlers.c. */
#ifndef BANGER_AGENT_OPS_H
#define BANGER_AGENT_OPS_H

#include "json.h"

/* req is the parsed request. w is an open response object that already holds
 * the request's "id" if it had one; the handler writes "ok" first, then either
 * its result fields or "error" (a message for a person). It must not end w. */
typedef void (*op_handler)(const struct json_obj *req, struct json_writer *w);

void op_ping(const struct json_obj *req, struct json_writer *w);
void op_session_start(const struct json_obj *req, struct json_writer *w);
void op_session_list(const struct json_obj *req, struct json_writer *w);
void op_session_logs(const struct json_obj *req, struct json_writer *w);
void op_session_signal(const struct json_obj *req, struct json_writer *w);
void op_session_stop(const struct json_obj *req, struct json_writer *w);
void op_session_write(const struct json_obj *req, struct json_writer *w);
void op_session_close_stdin(const struct json_obj *req, struct json_writer *w);
void op_pty_resize(const struct json_obj *req, struct json_writer *w);

/* An op that, when it succeeds, turns its connection into a raw byte stream:
 * like an op_handler, and returns the pty slot the connection now carries
 * (see pty.h), or -1 when it failed (the connection stays in line mode). */
typedef int (*op_stream_handler)(const struct json_obj *req, struct json_writer *w);

int op_pty_open(const struct json_obj *req, struct json_writer *w);

#endif
