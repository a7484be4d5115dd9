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
];
