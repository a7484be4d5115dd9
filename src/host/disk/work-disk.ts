import { chmod } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';
import { formatSize } from '../../domain/size.js';
import type { Ext4InodeKind } from '../ext4/debugfs.js';
import { readExt4Size } from '../ext4/geometry.js';
import type { Runner } from '../runner.js';
import { buildAtomically } from './atomic-file.js';
import type { Ext4FileEntry } from './ext4-entries.js';
import { checkDiskBytes, formatExt4 } from './format.js';
import { checkFilesystem, growTo, prepareSeedCopy } from './seed-copy.js';
import type { WorkDiskTemplates } from './work-templates.js';
import { knownKinds, writeFilesIntoExt4 } from './write-files.js';

/** What a freshly formatted disk holds besides its root (mkfs makes lost+found). */
const FRESH_DISK: ReadonlyMap<string, Ext4InodeKind> = new Map([['/lost+found', 'dir']]);

/**
 * Creates the VM's work disk (vdc, the guest's `/root`) at `path`.
 *
 * With `seed`: a sparse copy of the image's work seed (reflinked when the
 * host filesystem supports it), checked with e2fsck and grown with resize2fs
 * to `bytes`; the seed's files, owners and modes are kept. A size smaller
 * than the seed's filesystem is refused with AppError invalid_argument.
 * Without: a fresh sparse ext4 whose root directory is 0700, owned 0:0.
 * Then `files` are written into it (writeFilesIntoExt4; see
 * planWorkDiskFiles), still before the disk takes its name.
 *
 * Atomic: built as `<path>.tmp-*` and renamed; nothing is left on failure,
 * and an existing `path` is never replaced (AppError conflict).
 */
export async function createWorkDisk(
  runner: Runner,
  o: {
    path: string;
    bytes: number;
    seed?: string | undefined;
    files?: readonly Ext4FileEntry[] | undefined;
    /** Where seeded disks are copied from once prepared (the daemon's); without, each is prepared in place. */
    templates?: WorkDiskTemplates | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const { path, bytes, seed, signal, templates } = o;
  checkDiskBytes(bytes, 'disk size');
  const seedSize =
    seed === undefined
      ? undefined
      : await (templates ? templates.seedSize(seed, signal) : readExt4Size(runner, seed, signal));
  if (seedSize && bytes < seedSize.bytes) {
    throw new AppError(
      'invalid_argument',
      `disk size ${formatSize(bytes)} is smaller than the image's work seed (${formatSize(seedSize.bytes)}); use --disk-size ${formatSize(Math.ceil(seedSize.bytes / 2 ** 20) * 2 ** 20)} or more`,
    );
  }
  await buildAtomically(path, async (tmp) => {
    if (seed === undefined || seedSize === undefined) {
      await formatExt4(runner, { path: tmp, bytes, label: 'work', signal });
      // Formatted just now: it holds lost+found only, so one debugfs pass does the rest.
      await writeFilesIntoExt4(runner, tmp, o.files ?? [], {
        signal,
        prelude: ['set_inode_field / mode 040700'],
        existing: async (paths) => knownKinds(FRESH_DISK, paths),
      });
    } else if (templates) {
      const template = await templates.template(seed, bytes, signal);
      await runner.run(
        ['cp', '--sparse=always', '--reflink=auto', template.path, tmp],
        signal ? { signal } : {},
      );
      await chmod(tmp, 0o600);
      await writeFilesIntoExt4(runner, tmp, o.files ?? [], { signal, existing: template.existing });
    } else {
      await prepareSeedCopy(runner, { seed, dest: tmp, bytes, blockSize: seedSize.blockSize, signal });
      await writeFilesIntoExt4(runner, tmp, o.files ?? [], { signal });
    }
  });
}

/**
 * Grows the work disk at `path` to `bytes` (`vm set --disk-size`). The VM
 * must be stopped: the image is checked with e2fsck and resized offline.
 * Growing only: a size smaller than the current filesystem is refused with
 * AppError invalid_argument; the same size is a no-op. Not atomic, but
 * resize2fs only commits the new size once the grown metadata is in place.
 */
export async function growWorkDisk(
  runner: Runner,
  path: string,
  bytes: number,
  signal?: AbortSignal,
): Promise<void> {
  checkDiskBytes(bytes, 'disk size');
  const now = await readExt4Size(runner, path, signal);
  const blocks = Math.floor(bytes / now.blockSize);
  if (blocks < now.blockCount) {
    throw new AppError(
      'invalid_argument',
      `the work disk is ${formatSize(now.bytes)} and can only grow; use a --disk-size of ${formatSize(now.bytes)} or more`,
    );
  }
  if (blocks === now.blockCount) return;
  await checkFilesystem(runner, path, `the work disk ${path}`, signal);
  await growTo(runner, path, bytes, now.blockSize, signal);
}
