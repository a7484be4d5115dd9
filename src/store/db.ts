import Database from 'better-sqlite3';
import { AppError } from '../domain/errors.js';
import { migrations as allMigrations } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens the state database: WAL journal, a busy timeout so concurrent
 * writers wait instead of failing, foreign keys on, and every pending
 * migration applied in one transaction each. A database written by a newer
 * banger is refused rather than misread.
 */
export function openDatabase(file: string, migrations = allMigrations): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, migrations);
  return db;
}

function migrate(db: Db, migrations: typeof allMigrations): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'host_unsupported',
      `state database schema ${current} is newer than this banger understands (${latest}); upgrade banger`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
