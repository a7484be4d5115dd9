import { chmodSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import {
  judgeParent,
  judgeSocket,
  judgeSocketDir,
  type PathFacts,
  verifySocketPath,
} from './socket-trust.js';

const ME = 1000;
const dir = (uid: number, mode: number): PathFacts => ({ kind: 'directory', uid, mode: 0o40000 | mode });
const missing: PathFacts = { kind: 'missing' };

describe('judgeParent', () => {
  it('accepts /tmp (root, sticky), a directory of ours, and a missing one', () => {
    expect(judgeParent('/tmp', dir(0, 0o1777), ME)).toBeUndefined();
    expect(judgeParent('/run/user/1000', dir(ME, 0o700), ME)).toBeUndefined();
    expect(judgeParent('/x', missing, ME)).toBeUndefined();
  });

  it('refuses a parent where others could swap the socket directory', () => {
    expect(judgeParent('/shared', dir(0, 0o777), ME)).toBe(
      '/shared is writable by others without the sticky bit (mode 0777), so the socket directory in it could be swapped; set XDG_RUNTIME_DIR to a directory only you can write',
    );
    expect(judgeParent('/home/eve', dir(1001, 0o755), ME)).toMatch(/^\/home\/eve belongs to uid 1001/);
    expect(judgeParent('/f', { kind: 'other', uid: ME, mode: 0o600 }, ME)).toMatch(/is not a directory/);
  });
});

describe('judgeSocketDir', () => {
  it('accepts our own 0700 directory and a missing one (bangerd creates it)', () => {
    expect(judgeSocketDir('/tmp/banger-1000', dir(ME, 0o700), ME)).toBeUndefined();
    expect(judgeSocketDir('/tmp/banger-1000', missing, ME)).toBeUndefined();
  });

  it('refuses a directory planted by another user, saying what to do', () => {
    expect(judgeSocketDir('/tmp/banger-1000', dir(1001, 0o700), ME)).toBe(
      'socket directory /tmp/banger-1000 belongs to uid 1001, not to you (uid 1000), so the daemon behind it may not be yours; have it removed (`sudo rm -r /tmp/banger-1000`) or set XDG_RUNTIME_DIR to a directory only you can write',
    );
    // root's directory is not ours either
    expect(judgeSocketDir('/tmp/banger-1000', dir(0, 0o700), ME)).toMatch(/belongs to uid 0/);
  });

  it('refuses our own directory unless it is exactly 0700', () => {
    expect(judgeSocketDir('/tmp/banger-1000', dir(ME, 0o755), ME)).toBe(
      'socket directory /tmp/banger-1000 has mode 0755, not 0700; run `chmod 700 /tmp/banger-1000` and try again',
    );
    expect(judgeSocketDir('/d', dir(ME, 0o770), ME)).toMatch(/mode 0770/);
    expect(judgeSocketDir('/d', dir(ME, 0o500), ME)).toMatch(/mode 0500/);
  });

  it('refuses a symlink, whoever owns it and wherever it points', () => {
    expect(judgeSocketDir('/tmp/banger-1000', { kind: 'symlink', uid: ME, mode: 0o777 }, ME)).toMatch(
      /^socket directory \/tmp\/banger-1000 is a symlink, which banger does not follow; remove it/,
    );
  });

  it('refuses something that is not a directory', () => {
    expect(judgeSocketDir('/d', { kind: 'socket', uid: ME, mode: 0o600 }, ME)).toMatch(/is not a directory/);
  });
});

describe('judgeSocket', () => {
  it('accepts our own socket and no socket at all', () => {
    expect(judgeSocket('/d/bangerd.sock', { kind: 'socket', uid: ME, mode: 0o600 }, ME)).toBeUndefined();
    expect(judgeSocket('/d/bangerd.sock', missing, ME)).toBeUndefined();
  });

  it('refuses a socket of another user and anything that is not a socket', () => {
    expect(judgeSocket('/d/bangerd.sock', { kind: 'socket', uid: 0, mode: 0o666 }, ME)).toBe(
      '/d/bangerd.sock belongs to uid 0, not to you (uid 1000); remove it (`rm /d/bangerd.sock`) and try again',
    );
    expect(judgeSocket('/d/bangerd.sock', { kind: 'symlink', uid: ME, mode: 0o777 }, ME)).toMatch(
      /is not a socket/,
    );
    expect(judgeSocket('/d/bangerd.sock', dir(ME, 0o700), ME)).toMatch(/is not a socket/);
  });
});

describe('verifySocketPath', () => {
  const uid = process.geteuid?.() ?? 0;
  const privateDir = () => {
    const base = mkdtempSync(join(tmpdir(), 'banger-trust-'));
    const d = join(base, 'banger');
    mkdirSync(d, { mode: 0o700 });
    return d;
  };

  it('says absent for a missing directory or socket, present for a socket of ours', async () => {
    const d = privateDir();
    expect(verifySocketPath(join(d, 'missing', 'bangerd.sock'), uid)).toBe('absent');
    expect(verifySocketPath(join(d, 'bangerd.sock'), uid)).toBe('absent');
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(d, 'bangerd.sock'), r));
    try {
      expect(verifySocketPath(join(d, 'bangerd.sock'), uid)).toBe('present');
    } finally {
      server.close();
    }
  });

  it('throws host_unsupported for a loose directory and for a symlinked one', () => {
    const d = privateDir();
    chmodSync(d, 0o755);
    expect(() => verifySocketPath(join(d, 'bangerd.sock'), uid)).toThrow(/has mode 0755/);
    const link = join(d, '..', 'link');
    symlinkSync(privateDir(), link);
    const err = (() => {
      try {
        verifySocketPath(join(link, 'bangerd.sock'), uid);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('host_unsupported');
    expect((err as AppError).message).toMatch(/is a symlink/);
  });
});
