import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import type { Ext4InodeKind } from '../ext4/debugfs.js';
import { type Ext4Size, readExt4Size } from '../ext4/geometry.js';
import type { Runner } from '../runner.js';
import { buildAtomically } from './atomic-file.js';
import { prepareSeedCopy } from './seed-copy.js';
import { statKinds } from './write-files.js';

/** How many templates stay in the directory; the least recently used beyond this are removed. */
const KEEP = 4;
/** A `.tmp-` file older than this is a build that died with its daemon. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** A ready work disk to copy, and what it holds at given paths (asked once per set of paths). */
export interface WorkDiskTemplate {
  path: string;
  existing: (paths: readonly string[]) => Promise<ReadonlyMap<string, Ext4InodeKind>>;
}

/**
 * Per-seed work-disk templates in `dir` (0700). Copying an image's work
 * seed, checking it and growing it takes four processes per VM; a template
 * does that once per seed and size, so each VM's work disk is then one
 * sparse copy of it, and what the template holds at the paths banger writes
 * is asked once and remembered.
 *
 * A template's name carries the seed's identity (path, device, inode, size,
 * mtime) and the size, so a rebuilt or re-pulled image never reuses an old
 * one, and a template never changes once it has its name. Built atomically;
 * concurrent creates share one build. At most KEEP templates are kept, the
 * least recently used go first.
 */
export class WorkDiskTemplates {
  private readonly seedSizes = new Map<string, Promise<Ext4Size>>();
  private readonly builds = new Map<string, Promise<void>>();
  private readonly kinds = new Map<string, Promise<Map<string, Ext4InodeKind>>>();

  constructor(
    private readonly runner: Runner,
    private readonly dir: string,
  ) {}

  /** The filesystem size inside `seed` (dumpe2fs once per seed identity). */
  async seedSize(seed: string, signal?: AbortSignal): Promise<Ext4Size> {
    const key = await identity(seed);
    return remember(this.seedSizes, key, () => readExt4Size(this.runner, seed, signal));
  }

  /** The template for `seed` grown to `bytes`, built first if there is none. */
  async template(seed: string, bytes: number, signal?: AbortSignal): Promise<WorkDiskTemplate> {
    const path = join(this.dir, `${await identity(seed)}-${bytes}.ext4`);
    await share(this.builds, path, () => this.build(seed, path, bytes, signal));
    return {
      path,
      existing: (paths) =>
        remember(this.kinds, `${path}\0${paths.join('\0')}`, () =>
          statKinds(this.runner, path, paths, signal),
        ),
    };
  }

  private async build(seed: string, path: string, bytes: number, signal?: AbortSignal): Promise<void> {
    const now = new Date();
    try {
      await utimes(path, now, now); // in use: the last to be pruned
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    try {
      const { blockSize } = await this.seedSize(seed, signal);
      await buildAtomically(path, (dest) =>
        prepareSeedCopy(this.runner, { seed, dest, bytes, blockSize, signal }),
      );
    } catch (err) {
      // Another daemon built it meanwhile: the same bytes under the same name.
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    }
    await this.prune(path);
  }

  /** Removes the least recently used templates beyond KEEP (never `current`) and dead builds. */
  private async prune(current: string): Promise<void> {
    const entries = await Promise.all(
      (await readdir(this.dir)).map(async (name) => {
        const path = join(this.dir, name);
        const st = await stat(path).catch(() => undefined);
        return { name, path, used: st?.mtimeMs ?? 0 };
      }),
    );
    const dead = entries.filter((e) => e.name.includes('.tmp-') && Date.now() - e.used > STALE_TMP_MS);
    const templates = entries
      .filter((e) => e.name.endsWith('.ext4') && e.path !== current)
      .sort((a, b) => b.used - a.used);
    for (const e of [...dead, ...templates.slice(KEEP - 1)]) await rm(e.path, { force: true });
  }
}

/** A short name for what `seed` is now: its path and the identity of its content. */
async function identity(seed: string): Promise<string> {
  const st = await stat(seed);
  const text = [seed, st.dev, st.ino, st.size, st.mtimeMs].join('\0');
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** `memo[key]`, computed by `make` the first time; a failure is forgotten so the next call retries. */
function remember<T>(memo: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = memo.get(key);
  if (!p) {
    p = make();
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

/** The pending `make` for `key`, shared by concurrent callers; forgotten once it settles. */
function share(pending: Map<string, Promise<void>>, key: string, make: () => Promise<void>): Promise<void> {
  let p = pending.get(key);
  if (!p) {
    p = make().finally(() => pending.delete(key));
    pending.set(key, p);
  }
  return p;
}
