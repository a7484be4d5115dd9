import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { type FileSyncEntry, planWorkDiskFiles } from './plan-files.js';

let home: string;
const key = 'ssh-ed25519 AAAAC3Nza banger';

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'banger-plan-'));
  await mkdir(join(home, '.aws'));
  await writeFile(join(home, '.aws', 'config'), 'x');
  await mkdir(join(home, 'bin'));
  await writeFile(join(home, 'bin', 'my-script'), 'x');
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const plan = (fileSync: FileSyncEntry[]) => planWorkDiskFiles({ authorizedKey: `${key}\n`, fileSync, home });

async function failure(fileSync: FileSyncEntry[]): Promise<AppError> {
  const err = await plan(fileSync).catch((e: unknown) => e);
  if (!(err instanceof AppError)) throw new Error('expected an AppError');
  expect(err.code).toBe('invalid_argument');
  return err;
}

describe('planWorkDiskFiles', () => {
  it('normalises /root and /root/.ssh and installs the key last, all owned by root', async () => {
    expect(await plan([])).toEqual([
      { path: '/', kind: 'dir', mode: 0o700, uid: 0, gid: 0, dirMode: 0o700 },
      { path: '/.ssh', kind: 'dir', mode: 0o700, uid: 0, gid: 0, dirMode: 0o700 },
      {
        path: '/.ssh/authorized_keys',
        kind: 'content',
        content: Buffer.from(`${key}\n`),
        mode: 0o600,
        uid: 0,
        gid: 0,
        dirMode: 0o700,
      },
    ]);
  });

  it('maps ~/ and /root/ guest paths into the work disk and expands ~ on the host', async () => {
    const entries = await plan([
      { host: '~/.aws', guest: '~/.aws' },
      { host: join(home, 'bin', 'my-script'), guest: '/root/bin/my-script', mode: '0755' },
      { host: '~/bin/my-script', guest: '~/deep/er/copy/', mode: '640' },
    ]);
    const synced = entries.slice(1, -2);
    expect(synced).toEqual([
      {
        path: '/.aws',
        kind: 'copy',
        source: join(home, '.aws'),
        mode: 0o600,
        uid: 0,
        gid: 0,
        dirMode: 0o700,
      },
      {
        path: '/bin/my-script',
        kind: 'copy',
        source: join(home, 'bin', 'my-script'),
        mode: 0o755,
        uid: 0,
        gid: 0,
        dirMode: 0o700,
      },
      {
        path: '/deep/er/copy',
        kind: 'copy',
        source: join(home, 'bin', 'my-script'),
        mode: 0o640,
        uid: 0,
        gid: 0,
        dirMode: 0o700,
      },
    ]);
    expect(entries.at(-1)?.path).toBe('/.ssh/authorized_keys');
  });

  it.each([
    [{ host: '~/.aws', guest: '/etc/passwd' }, /entry 2 .*guest must be a path under ~\/ or \/root\//],
    [{ host: '~/.aws', guest: '.aws' }, /guest must be a path under/],
    [{ host: '~/.aws', guest: '~' }, /guest must be a path under/],
    [{ host: '~/.aws', guest: '/root' }, /guest must be a path under/],
    [{ host: '~/.aws', guest: '~/' }, /guest must be a path under/],
    [{ host: '~/.aws', guest: '/rootkit/x' }, /guest must be a path under/],
    [{ host: '~/.aws', guest: '~/../etc' }, /must not contain "\.\."/],
    [{ host: '~/.aws', guest: '~/a//b' }, /must not contain/],
    [{ host: '~/.aws', guest: '~/a\nb' }, /line breaks/],
    [{ host: '.aws', guest: '~/.aws' }, /host must be an absolute path or start with ~\//],
    [{ host: '~other/.aws', guest: '~/.aws' }, /host must be an absolute path/],
    [{ host: '~/.aws', guest: '~/.aws', mode: 'rwx' }, /mode must be octal/],
    [{ host: '~/.aws', guest: '~/.aws', mode: '08' }, /mode must be octal/],
    [
      { host: '~/missing', guest: '~/m' },
      /missing does not exist on the host; create it or remove the entry/,
    ],
  ])('refuses %j', async (entry, message) => {
    const err = await failure([{ host: '~/.aws', guest: '~/.aws' }, entry]);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`file_sync entry 2 (host = ${JSON.stringify(entry.host)}`);
  });

  it('refuses a missing or multi-line SSH key', async () => {
    for (const authorizedKey of ['', '  \n', 'ssh-ed25519 A\nssh-rsa B']) {
      const err = await planWorkDiskFiles({ authorizedKey, fileSync: [], home }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toMatch(/SSH public key/);
    }
  });
});
