/* Constants of the agent's protocol, shared by the transports and the handlers. */
#ifndef BANGER_AGENT_AGENT_H
#define BANGER_AGENT_AGENT_H

#define AGENT_NAME "banger-agent"
/* Bumped when a response changes incompatibly; the host reads it from ping. */
#define AGENT_PROTOCOL 1
#define AGENT_DEFAULT_PORT 52u
/* A request line (without its newline) may be this long; longer closes the connection. */
#define AGENT_MAX_LINE 65536u
#define AGENT_MAX_CONNS 64
/* Past this much unsent output a connection (or the serial channel) is not read
 * until the peer catches up, so a client that never reads cannot grow us unbounded. */
#define AGENT_OUT_HIGH_WATER (1u << 20)

#endif
