import { lstatSync, mkdirSync, readdirSync, rmSync, type Stats, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isWithin, keyOf } from './layer-paths.js';

/** Why an entry was refused as unsafe; the layer applier adds the layer digest and entry name. */
export class Refusal extends Error {}

/** Why an entry cannot be applied although it is not an attack (a dangling hardlink, say). */
export class Malformed extends Error {}

/** What the image says a path should be owned by and its permission bits (07777). */
export interface Owner {
  uid: number;
  gid: number;
  mode: number;
  kind: 'file' | 'dir' | 'symlink';
}

/** Directories get their final mode and mtime only at the end: adding children changes mtimes. */
export interface DirMeta {
  mode: number;
  mtime: Date;
}

const DEFAULT_DIR: Owner = { uid: 0, gid: 0, mode: 0o755, kind: 'dir' };

/**
 * The extraction root and what the layers said about every path in it.
 *
 * Safety contract: every path handed out by `ensureParents` / `lookup` was
 * reached from the root through components that `lstat` says are real
 * directories, so no operation ever follows a symlink the image planted.
 * Banger is the only writer of this directory (a fresh 0700 temp dir), so
 * the checks are not racing anyone; files are still created with
 * O_EXCL|O_NOFOLLOW as a second line of defence.
 *
 * The filesystem calls here and in the layer applier are synchronous on
 * purpose: each is a few microseconds, while a thread-pool round trip per
 * call made flattening a 10,000-file image several times slower. The event
 * loop still runs between entries, while the next one is read.
 */
export class RootTree {
  /** Ownership and modes per path (key: components joined by `/`, `''` = root). */
  readonly owners = new Map<string, Owner>();
  readonly dirs = new Map<string, DirMeta>();
  /** Keys verified to be real directories; dropped whenever something under them is removed. */
  private readonly realDirs = new Set<string>(['']);

  constructor(readonly root: string) {
    this.owners.set('', { ...DEFAULT_DIR });
  }

  abs(parts: readonly string[]): string {
    return parts.length === 0 ? this.root : join(this.root, ...parts);
  }

  /** Makes every parent of `parts` exist as a real directory, creating missing ones (0755, root-owned). */
  ensureParents(parts: readonly string[]): void {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i);
      const key = keyOf(prefix);
      if (this.realDirs.has(key)) continue;
      const st = lstatOrUndefined(this.abs(prefix));
      if (st === undefined) {
        // Owner-only while extracting; the final mode is applied by the finishing pass.
        mkdirSync(this.abs(prefix), { mode: 0o700 });
        this.owners.set(key, { ...DEFAULT_DIR });
        this.dirs.set(key, { mode: DEFAULT_DIR.mode, mtime: new Date() });
      } else {
        this.assertRealDir(st, key);
      }
      this.realDirs.add(key);
    }
  }

  /** lstat of `parts` reached through real directories only, or undefined when absent. */
  lookup(parts: readonly string[]): Stats | undefined {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i);
      const key = keyOf(prefix);
      if (this.realDirs.has(key)) continue;
      const st = lstatOrUndefined(this.abs(prefix));
      if (st === undefined) return undefined;
      this.assertRealDir(st, key);
      this.realDirs.add(key);
    }
    return parts.length === 0 ? lstatSync(this.root) : lstatOrUndefined(this.abs(parts));
  }

  /** Records a directory as real (after mkdir or after checking it with lstat). */
  markDir(parts: readonly string[]): void {
    this.realDirs.add(keyOf(parts));
  }

  /** Removes whatever is at `parts` (recursively for a real directory; links are unlinked, never followed). */
  remove(parts: readonly string[], st?: Stats): void {
    const current = st ?? lstatOrUndefined(this.abs(parts));
    if (current === undefined) return;
    const key = keyOf(parts);
    if (current.isDirectory()) {
      // fs.rm does not follow symlinks found inside the tree; it unlinks them.
      rmSync(this.abs(parts), { recursive: true, force: true });
      this.forgetTree(key);
    } else {
      unlinkSync(this.abs(parts));
      this.owners.delete(key);
    }
  }

  /**
   * Removes everything below the directory `dir` for which `keep(key)` is
   * false; kept directories are descended into. Used for opaque whiteouts,
   * where `keep` says "written by the current layer or above something that was".
   */
  removeBelow(dir: readonly string[], keep: (key: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.abs(dir));
    } catch {
      return;
    }
    for (const name of names) {
      const parts = [...dir, name];
      const st = lstatSync(this.abs(parts));
      if (!keep(keyOf(parts))) this.remove(parts, st);
      else if (st.isDirectory()) this.removeBelow(parts, keep);
    }
  }

  private forgetTree(key: string): void {
    for (const map of [this.owners, this.dirs]) {
      for (const k of map.keys()) if (isWithin(k, key) && k !== '') map.delete(k);
    }
    for (const k of this.realDirs) if (isWithin(k, key) && k !== '') this.realDirs.delete(k);
  }

  private assertRealDir(st: Stats, key: string): void {
    if (st.isSymbolicLink())
      throw new Refusal(`goes through "${key}", which is a symlink; writing through it is refused`);
    if (!st.isDirectory()) throw new Refusal(`goes through "${key}", which is not a directory`);
  }
}

export function lstatOrUndefined(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}
