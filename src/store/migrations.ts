/**
 * Numbered schema migrations, applied in order at daemon start. The database's
 * `user_version` records the last one applied. Never edit a landed migration;
 * add a new one.
 */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'meta',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'vms',
    sql: `
      CREATE TABLE vms (
        id            TEXT PRIMARY KEY NOT NULL,
        name          TEXT NOT NULL UNIQUE,
        image         TEXT NOT NULL,
        vcpu          INTEGER NOT NULL CHECK (vcpu BETWEEN 1 AND 32),
        memory_mib    INTEGER NOT NULL CHECK (memory_mib > 0),
        disk_bytes    INTEGER NOT NULL CHECK (disk_bytes > 0),
        guest_ip      TEXT NOT NULL UNIQUE,
        nat           INTEGER NOT NULL CHECK (nat IN (0, 1)),
        desired_state TEXT NOT NULL CHECK (desired_state IN ('stopped', 'running')),
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        last_error    TEXT
      ) STRICT;
    `,
  },
];
