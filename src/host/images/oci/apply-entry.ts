import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import type { Header } from 'tar-stream';
import { AppError } from '../../../domain/errors.js';
import { checkEntryName, classifyWhiteout, keyOf, symlinkEscapes } from './layer-paths.js';
import { lstatOrUndefined, Malformed, type Owner, Refusal, type RootTree } from './root-tree.js';

/** tar-stream puts the PAX records it does not interpret (uid, gid, mtime …) in `pax`. */
export type TarHeader = Omit<Header, 'pax' | 'type'> & {
  type: Header['type'] | null;
  pax?: Record<string, string> | null;
};

/** An entry's content stream (tar-stream's streamx Readable); it must be consumed or resumed. */
export interface EntryBody extends AsyncIterable<unknown> {
  resume(): unknown;
}

export interface ApplyOptions {
  /**
   * true: give files the image's owners with lchown (needs root). false:
   * leave them owned by the daemon user and rely on the recorded owners
   * being applied to the ext4 image afterwards (see ownership.ts).
   */
  chown: boolean;
  log: (message: string) => void;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Applies the entries of one layer, in tar order, onto a RootTree.
 * Whiteouts (`.wh.<name>`, `.wh..wh..opq`) only hide what lower layers put
 * there: paths this layer already wrote, and their parents, survive them.
 * Every refusal is an AppError naming the layer digest and the entry.
 */
export class LayerApplier {
  /** Paths this layer wrote and every directory above them: its own whiteouts leave these alone. */
  private readonly kept = new Set<string>();
  /** Who owns what this process creates; new inodes already owned so need no chown. */
  private readonly uid = process.geteuid?.() ?? -1;
  private readonly gid = process.getegid?.() ?? -1;

  constructor(
    private readonly tree: RootTree,
    private readonly layer: string,
    private readonly options: ApplyOptions,
  ) {}

  async apply(header: TarHeader, body: EntryBody): Promise<void> {
    try {
      await this.dispatch(header, body);
    } catch (err) {
      body.resume();
      if (err instanceof AppError) throw err;
      const [code, reason, next] =
        err instanceof Refusal
          ? (['invalid_argument', err.message, 'The image is unsafe and was not pulled.'] as const)
          : err instanceof Malformed
            ? (['operation_failed', err.message, 'The image is malformed and was not pulled.'] as const)
            : ([
                'operation_failed',
                `could not be extracted: ${(err as Error).message}`,
                'Check free space and permissions under the work directory.',
              ] as const);
      throw new AppError(code, `layer ${this.layer}: entry "${header.name}" ${reason}. ${next}`, {
        cause: err,
        details: { layer: this.layer, entry: header.name },
      });
    }
  }

  private async dispatch(header: TarHeader, body: EntryBody): Promise<void> {
    const checked = checkEntryName(header.name);
    if (!checked.ok) throw new Refusal(checked.reason);
    const parts = checked.parts;
    // tar-stream reports typeflags it does not know (GNU sparse files, say) as null.
    const type = header.type ?? 'unknown';
    const whiteout = classifyWhiteout(parts);
    if (whiteout.kind !== 'none') body.resume();
    switch (whiteout.kind) {
      case 'invalid':
        throw new Refusal(whiteout.reason);
      case 'ignore':
        return this.options.log(`layer ${this.layer}: ignoring aufs metadata entry ${header.name}`);
      case 'opaque':
        this.tree.ensureParents(parts);
        return this.tree.removeBelow(whiteout.dir, (key) => this.keep(key));
      case 'delete':
        return this.whiteout(whiteout.target);
      // Stryker disable next-line ConditionalExpression: the last case; without its break it falls out of the switch all the same
      case 'none':
        break;
    }
    if (parts.length === 0 && type !== 'directory')
      throw new Refusal(`is a ${type} that would replace the root`);
    if (checked.namesItself && type !== 'directory')
      throw new Malformed(`names a directory but is a ${type}`);
    const owner = ownerOf(header);
    switch (type) {
      case 'directory':
        return this.directory(parts, owner, mtimeOf(header));
      case 'file':
      case 'contiguous-file':
        return this.file(parts, owner, mtimeOf(header), body);
      case 'symlink':
        body.resume();
        return this.symlink(parts, header.linkname ?? '', owner, mtimeOf(header));
      case 'link':
        body.resume();
        return this.hardlink(parts, header.linkname ?? '');
      default:
        body.resume();
        this.options.log(
          `layer ${this.layer}: skipping ${type} entry ${header.name} (only files, directories and links are extracted)`,
        );
    }
  }

  private keep(key: string): boolean {
    return this.kept.has(key);
  }

  private markWritten(parts: readonly string[]): void {
    for (let i = 0; i <= parts.length; i++) this.kept.add(keyOf(parts.slice(0, i)));
  }

  /**
   * True when an inode this process just created at `parts` does not have
   * the image's owner yet. A new inode gets our uid and, normally, our gid;
   * but the parent's group on a `grpid` mount, so that case is chowned too.
   */
  private needsChown(owner: Owner, parts: readonly string[]): boolean {
    if (!this.options.chown) return false;
    const parentGid = this.tree.owners.get(keyOf(parts.slice(0, -1)))?.gid ?? this.gid;
    return owner.uid !== this.uid || owner.gid !== this.gid || parentGid !== this.gid;
  }

  private whiteout(target: string[]): void {
    const st = this.tree.lookup(target);
    if (st === undefined) return;
    if (!this.keep(keyOf(target))) this.tree.remove(target, st);
    // Same-layer content survives its own layer's whiteouts; lower content under it does not.
    else if (st.isDirectory()) this.tree.removeBelow(target, (key) => this.keep(key));
  }

  private directory(parts: string[], owner: Owner, mtime: Date): void {
    this.tree.ensureParents(parts);
    const abs = this.tree.abs(parts);
    const st = lstatOrUndefined(abs);
    const existed = st?.isDirectory() === true;
    if (!existed) {
      // Stryker disable next-line ConditionalExpression: remove() without a stat lstats again and finds nothing; the check only saves that call
      if (st) this.tree.remove(parts, st);
      mkdirSync(abs, { mode: 0o700 });
    }
    this.tree.markDir(parts);
    // A directory from a lower layer may have any owner; a new one is ours.
    if (this.options.chown && (existed || this.needsChown(owner, parts)))
      lchownSync(abs, owner.uid, owner.gid);
    this.tree.owners.set(keyOf(parts), { ...owner, kind: 'dir' });
    this.tree.dirs.set(keyOf(parts), { mode: owner.mode, mtime });
    this.markWritten(parts);
  }

  private async file(parts: string[], owner: Owner, mtime: Date, body: EntryBody): Promise<void> {
    this.tree.ensureParents(parts);
    const fd = this.create(parts);
    try {
      for await (const chunk of body) writeAll(fd, chunk as Uint8Array);
      // chown before chmod: chown clears setuid/setgid bits, even for root.
      if (this.needsChown(owner, parts)) fchownSync(fd, owner.uid, owner.gid);
      // Unprivileged, keep the file readable for mkfs.ext4; the exact mode is restored in the ext4 image.
      fchmodSync(fd, this.options.chown ? owner.mode : owner.mode | 0o400);
      futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
    this.tree.owners.set(keyOf(parts), { ...owner, kind: 'file' });
    this.markWritten(parts);
  }

  /** Creates a new file at `parts`, replacing whatever is there; never opens through a symlink. */
  private create(parts: string[]): number {
    const abs = this.tree.abs(parts);
    try {
      return openSync(abs, CREATE_FLAGS, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.tree.remove(parts);
    return openSync(abs, CREATE_FLAGS, 0o600);
  }

  private symlink(parts: string[], target: string, owner: Owner, mtime: Date): void {
    if (target === '') throw new Malformed('is a symlink with an empty target');
    if (target.includes('\0')) throw new Refusal('is a symlink whose target has a NUL byte');
    if (symlinkEscapes(parts, target))
      throw new Refusal(`is a symlink to "${target}", which leaves the image root`);
    this.tree.ensureParents(parts);
    this.tree.remove(parts);
    const abs = this.tree.abs(parts);
    symlinkSync(target, abs);
    if (this.needsChown(owner, parts)) lchownSync(abs, owner.uid, owner.gid);
    lutimesSync(abs, mtime, mtime);
    this.tree.owners.set(keyOf(parts), { ...owner, mode: 0o777, kind: 'symlink' });
    this.markWritten(parts);
  }

  private hardlink(parts: string[], linkname: string): void {
    const checked = checkEntryName(linkname);
    if (!checked.ok) throw new Refusal(`is a hardlink to "${linkname}", which ${checked.reason}`);
    const target = checked.parts;
    if (target.length === 0) throw new Refusal('is a hardlink to the root');
    if (keyOf(target) === keyOf(parts)) return;
    let st: ReturnType<RootTree['lookup']>;
    try {
      st = this.tree.lookup(target);
    } catch (err) {
      if (err instanceof Refusal) throw new Refusal(`is a hardlink to "${linkname}", which ${err.message}`);
      throw err;
    }
    if (st === undefined) throw new Malformed(`is a hardlink to "${linkname}", which does not exist`);
    if (st.isDirectory()) throw new Malformed(`is a hardlink to the directory "${linkname}"`);
    this.tree.ensureParents(parts);
    this.tree.remove(parts);
    // link(2) does not follow a symlink target on Linux: a hardlink to a symlink is another name for the link.
    linkSync(this.tree.abs(target), this.tree.abs(parts));
    const targetOwner = this.tree.owners.get(keyOf(target));
    if (targetOwner) this.tree.owners.set(keyOf(parts), { ...targetOwner });
    this.markWritten(parts);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}

/** The largest uid or gid: 2^32 - 1 is (uid_t)-1, which chown reads as "leave it unchanged". */
const MAX_ID = 0xfffffffe;

/**
 * A PAX uid/gid if it is one, else the header's. Digits only: Number() reads
 * "" (which in PAX unsets the record) and " " as 0, i.e. root, and "0x1f" or
 * "1e3" as ids the record does not spell.
 */
function numeric(pax: string | undefined, fallback: number | undefined): number {
  const n = pax?.match(/^\d+$/) ? Number(pax) : Number.NaN;
  return n <= MAX_ID ? n : (fallback ?? 0);
}

function ownerOf(header: TarHeader): Owner {
  return {
    uid: numeric(header.pax?.uid, header.uid),
    gid: numeric(header.pax?.gid, header.gid),
    mode: (header.mode ?? 0o644) & 0o7777,
    kind: 'file',
  };
}

/** The range of a Date, in ms either side of 1970; futimes fails with EINVAL for an invalid Date. */
const MAX_DATE_MS = 8.64e15;

/**
 * A PAX mtime (decimal seconds, maybe negative, maybe with a fraction) if it
 * is one and a Date can hold it, else the header's. As for ids, "" unsets it.
 */
function mtimeOf(header: TarHeader): Date {
  const pax = header.pax?.mtime;
  const ms = pax?.match(/^-?\d+(\.\d+)?$/) ? Number(pax) * 1000 : Number.NaN;
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms) : (header.mtime ?? new Date(0));
}
