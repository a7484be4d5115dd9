import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';
import { MetaRepository } from './meta-repository.js';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'banger-db-')), 'state.db');

describe('openDatabase', () => {
  it('uses WAL and applies migrations once', () => {
    const file = tempDb();
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
    db.close();
    // Re-opening applies nothing twice (CREATE TABLE would throw).
    openDatabase(file).close();
  });

  it('refuses a database from a newer banger', () => {
    const file = tempDb();
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this banger understands/);
  });

  it('applies a later migration on top of earlier ones', () => {
    const file = tempDb();
    openDatabase(file, [{ version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' }]).close();
    const db = openDatabase(file, [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (y INTEGER) STRICT;' },
    ]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.prepare('INSERT INTO b (y) VALUES (1)').run();
    db.close();
  });
});

describe('MetaRepository', () => {
  it('round-trips values', () => {
    const db = openDatabase(tempDb());
    const meta = new MetaRepository(db);
    expect(meta.get('first_start')).toBeUndefined();
    meta.set('first_start', 'x');
    meta.set('first_start', 'y');
    expect(meta.get('first_start')).toBe('y');
    db.close();
  });
});
