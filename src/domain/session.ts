/** The signals `vm session kill` may send to a session's process group (what the guest agent accepts). */
export const SESSION_SIGNALS = ['TERM', 'KILL', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'] as const;
