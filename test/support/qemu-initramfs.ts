import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);

/** Debian's busybox-static; a dynamically linked busybox would need its libraries in the image. */
const BUSYBOX = '/bin/busybox';

export interface InitramfsOptions {
  /** Scratch directory; the image is written to `<dir>/initrd.gz`. */
  dir: string;
  /** Shell script run as /init by busybox sh (it should end with `poweroff -f`). */
  init: string;
  /** Kernel modules (.ko files) copied to /lib/modules/ in the image. */
  modules?: string[];
}

/** Builds a gzip'ed newc cpio with busybox-static as the only program. Needs `cpio`. */
export async function buildBusyboxInitramfs(options: InitramfsOptions): Promise<string> {
  const root = join(options.dir, 'initramfs-root');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'lib', 'modules'), { recursive: true });
  await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const mod of options.modules ?? [])
    await copyFile(mod, join(root, 'lib', 'modules', mod.split('/').at(-1) ?? ''));
  await writeFile(join(root, 'init'), `#!/bin/busybox sh\n${options.init}`, { mode: 0o755 });
  const archive = join(options.dir, 'initrd.cpio');
  await run('sh', ['-c', `cd "$1" && find . | cpio -o -H newc --quiet > "$2"`, 'sh', root, archive]);
  const out = join(options.dir, 'initrd.gz');
  await writeFile(out, gzipSync(await readFile(archive), { level: 1 }));
  return out;
}

/** Finds `<name>.ko` under a kernel's modules tree. */
export async function findModule(modulesDir: string, name: string): Promise<string> {
  const entries = await readdir(modulesDir, { recursive: true, withFileTypes: true });
  const hit = entries.find((e) => e.isFile() && e.name === `${name}.ko`);
  if (!hit) throw new Error(`module ${name}.ko not found under ${modulesDir}`);
  return join(hit.parentPath, hit.name);
}

/** Pids whose parent is `pid` (scans /proc; no pgrep needed). */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) out.push(Number(entry));
  }
  return out;
}
