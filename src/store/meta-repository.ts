import { z } from 'zod';
import type { Db } from './db.js';

const row = z.object({ value: z.string() });

/** Small facts about this installation (first start, last daemon version). */
export class MetaRepository {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    const found = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key);
    return found === undefined ? undefined : row.parse(found).value;
  }

  set(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }
}
