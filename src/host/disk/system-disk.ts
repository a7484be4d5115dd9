import type { Ext4InodeKind } from '../ext4/debugfs.js';
import type { Runner } from '../runner.js';
import { buildAtomically } from './atomic-file.js';
import type { Ext4FileEntry } from './ext4-entries.js';
import { checkDiskBytes, formatExt4 } from './format.js';
import { knownKinds, writeFilesIntoExt4 } from './write-files.js';

/**
 * Where the guest's overlay layers live on the system disk (vdb). The
 * initramfs mounts vdb and uses `upper/` and `work/` at its root
 * (src/host/images/initramfs/init-script.ts), so a file placed at
 * `upper/etc/x` on this disk is `/etc/x` in the guest. Directories created
 * under `upper/` shadow the image's attributes for that directory, so give
 * them the image's usual mode (0755 root) rather than a private one.
 */
export const OVERLAY_UPPER_DIR = '/upper';
const OVERLAY_WORK_DIR = '/work';

/** Everything a system disk holds once formatted and laid out (mkfs makes lost+found). */
const FRESH_SYSTEM_DISK: ReadonlyMap<string, Ext4InodeKind> = new Map([
  ['/lost+found', 'dir'],
  [OVERLAY_UPPER_DIR, 'dir'],
  [OVERLAY_WORK_DIR, 'dir'],
]);

/**
 * Creates the VM's system disk (vdb): a sparse ext4 file of `bytes` at
 * `path` with empty `upper/` (0755, the guest's `/`) and `work/` (0700)
 * directories owned by root, then `files` written into it (writeFilesIntoExt4;
 * e.g. the guest's SSH host key under `upper/etc/ssh/`). Atomic: built as `<path>.tmp-*` and renamed;
 * nothing is left on failure, and an existing `path` is never replaced
 * (AppError conflict). Sizes below MIN_DISK_BYTES: AppError invalid_argument.
 */
export async function createSystemDisk(
  runner: Runner,
  path: string,
  bytes: number,
  o: { files?: readonly Ext4FileEntry[] | undefined; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const { signal } = o;
  checkDiskBytes(bytes, 'system disk size');
  await buildAtomically(path, async (tmp) => {
    await formatExt4(runner, { path: tmp, bytes, label: 'system', signal });
    const dir = (p: string, mode: number) => [
      `mkdir "${p}"`,
      `set_inode_field "${p}" mode 0${(0o040000 | mode).toString(8)}`,
      `set_inode_field "${p}" uid 0`,
      `set_inode_field "${p}" gid 0`,
    ];
    // One debugfs pass: the layout, then the files. The disk was formatted just now, so what it
    // holds is known and no read-only pass is needed to check the files against it.
    await writeFilesIntoExt4(runner, tmp, o.files ?? [], {
      signal,
      prelude: [
        `set_inode_field / mode 040700`,
        ...dir(OVERLAY_UPPER_DIR, 0o755),
        ...dir(OVERLAY_WORK_DIR, 0o700),
      ],
      existing: async (paths) => knownKinds(FRESH_SYSTEM_DISK, paths),
    });
  });
}
