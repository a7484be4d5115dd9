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
  {
    version: 3,
    name: 'images',
    // Kernel sets have no table: each is a directory renamed into place with its
    // kernel.json, which is the record. Images name the set they boot (kernel_ref)
    // or carry explicit kernel files (kernel_files, JSON), never both.
    sql: `
      CREATE TABLE images (
        name          TEXT PRIMARY KEY NOT NULL,
        source_kind   TEXT NOT NULL CHECK (source_kind IN ('build', 'oci', 'register')),
        source_detail TEXT NOT NULL,
        managed       INTEGER NOT NULL CHECK (managed IN (0, 1)),
        rootfs        TEXT NOT NULL,
        work_seed     TEXT,
        kernel_ref    TEXT,
        kernel_files  TEXT,
        size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
        created_at    TEXT NOT NULL,
        CHECK ((kernel_ref IS NULL) <> (kernel_files IS NULL))
      ) STRICT;
      CREATE INDEX images_kernel_ref ON images (kernel_ref);
    `,
  },
  {
    version: 4,
    name: 'vms_creating',
    // 1 from the insert that reserves a VM until its create finished: a row a
    // killed daemon left at 1 is a half-made VM, which the next daemon removes.
    sql: `
      ALTER TABLE vms ADD COLUMN creating INTEGER NOT NULL DEFAULT 0 CHECK (creating IN (0, 1));
    `,
  },
  {
    version: 5,
    name: 'pool_vms',
    // The warm pool's VMs (warm_pool_size): ready VMs that lists leave out until
    // a create takes one. A row here always has one in vms (deleted with it).
    sql: `
      CREATE TABLE pool_vms (
        id TEXT PRIMARY KEY NOT NULL
      ) STRICT;
    `,
  },
];
