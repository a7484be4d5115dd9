/* Logging: one line per notable event (transport chosen, errors), never per request. */
#ifndef BANGER_AGENT_LOG_H
#define BANGER_AGENT_LOG_H

/* Writes "banger-agent: <message>\n" to stderr. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
