import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AppError } from '../domain/errors.js';

/**
 * The one-daemon-per-user lock. It is an exclusive SQLite lock (an fcntl
 * lock underneath) on `lockFile`, held for the daemon's lifetime: the kernel
 * drops it when the process dies, even on SIGKILL, so a crashed daemon never
 * leaves a stale lock behind and two starting daemons can never both win.
 */
export class DaemonLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /** Takes the lock or throws AppError('conflict') naming the running daemon's pid. */
  static acquire(lockFile: string, pidFile: string): DaemonLock {
    const db = new Database(lockFile);
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      db.exec('COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        const pid = readPid(pidFile);
        throw new AppError(
          'conflict',
          `bangerd is already running${pid ? ` (pid ${pid})` : ''}; use \`banger daemon stop\` to stop it`,
        );
      }
      throw err;
    }
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
    return new DaemonLock(db, pidFile);
  }

  release(): void {
    if (!this.db.open) return;
    if (readPid(this.pidFile) === process.pid) writeFileSync(this.pidFile, '', { mode: 0o600 });
    this.db.close();
  }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
