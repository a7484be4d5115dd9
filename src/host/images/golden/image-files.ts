import { createReadStream } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { runDebugfs } from '../../ext4/debugfs.js';
import type { Runner } from '../../runner.js';
import { buildExt4 } from '../oci/ext4.js';
import { applyLayer, ensureMountPoints, finishTree } from '../oci/flatten.js';
import { isWithin } from '../oci/layer-paths.js';
import { type OwnershipMode, ownershipScript } from '../oci/ownership.js';
import { type Owner, RootTree } from '../oci/root-tree.js';

/** The name used for the tarball in extraction errors (it takes the place of an OCI layer digest). */
const TAR_NAME = 'mmdebstrap tarball';

/**
 * Unpacks mmdebstrap's tarball into `treeDir` with the OCI flattener (same
 * safety rules, same ownership handling): as root files get their owners
 * with lchown; unprivileged they stay ours and the owners are recorded in
 * the returned tree and written into the ext4 images with debugfs later.
 * Device nodes in /dev are skipped (the guest mounts devtmpfs there).
 */
export async function unpackTarball(o: {
  tarPath: string;
  treeDir: string;
  ownership: OwnershipMode;
  log: (message: string) => void;
  onEntries?: (count: number) => void;
}): Promise<RootTree> {
  await mkdir(o.treeDir, { mode: 0o700 });
  const tree = new RootTree(o.treeDir);
  const chown = o.ownership === 'chown';
  await applyLayer(tree, TAR_NAME, createReadStream(o.tarPath), { chown, log: o.log }, o.onEntries);
  ensureMountPoints(tree);
  await finishTree(tree, chown);
  return tree;
}

/** Owners for an ext4 image built from a subtree: keys re-rooted at `dir`, the subtree's root replaced. */
function subtreeOwners(owners: ReadonlyMap<string, Owner>, dir: string, root: Owner): Map<string, Owner> {
  const out = new Map<string, Owner>([['', root]]);
  for (const [key, owner] of owners) {
    if (key !== dir && isWithin(key, dir)) out.set(key.slice(dir.length + 1), owner);
  }
  return out;
}

const ROOT_HOME: Owner = { uid: 0, gid: 0, mode: 0o700, kind: 'dir' };

/**
 * Moves the image's /root out of the tree into `workTreeDir` and leaves an
 * empty /root (0:0, 0700) as the mount point of the VM's work disk.
 * Returns the owners for the work seed (its root is 0:0 0700 whatever the
 * image said) and removes them from the tree's record.
 */
export async function splitRootHome(tree: RootTree, workTreeDir: string): Promise<Map<string, Owner>> {
  const recorded = tree.owners.get('root');
  if (recorded === undefined || recorded.kind !== 'dir') {
    await mkdir(workTreeDir, { mode: 0o700 });
  } else {
    await rename(tree.abs(['root']), workTreeDir);
  }
  const work = subtreeOwners(tree.owners, 'root', ROOT_HOME);
  for (const key of [...tree.owners.keys()]) if (isWithin(key, 'root')) tree.owners.delete(key);
  await mkdir(tree.abs(['root']), { mode: 0o700 });
  tree.owners.set('root', { ...ROOT_HOME });
  return work;
}

/**
 * Builds an ext4 image from a directory with `mkfs.ext4 -d`, then applies
 * `owners` with one debugfs run (always the root directory's mode; in
 * `debugfs` mode every recorded owner and mode), then fsyncs the file.
 */
export async function ext4FromTree(o: {
  runner: Runner;
  dir: string;
  owners: ReadonlyMap<string, Owner>;
  ownership: OwnershipMode;
  output: string;
  label: string;
  /** Exact image size; omitted → sized from the content plus headroom. */
  sizeBytes?: number;
  signal?: AbortSignal;
}): Promise<{ bytes: number }> {
  const root = o.owners.get('') ?? { uid: 0, gid: 0 };
  const built = await buildExt4({
    root: o.dir,
    output: o.output,
    runner: o.runner,
    rootOwner: { uid: root.uid, gid: root.gid },
    ext4: { label: o.label, ...(o.sizeBytes !== undefined ? { sizeBytes: o.sizeBytes } : {}) },
    ...(o.signal ? { signal: o.signal } : {}),
  });
  await runDebugfs({
    runner: o.runner,
    image: o.output,
    commands: ownershipScript(o.owners, o.ownership),
    purpose: 'apply ownership to',
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const handle = await open(o.output, 'r+');
  await handle.sync();
  await handle.close();
  return built;
}
