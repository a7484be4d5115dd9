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

#endif
