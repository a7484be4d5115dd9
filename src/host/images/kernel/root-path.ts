import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

const MAX_LINKS = 40;

/**
 * Resolves `rel` inside the directory tree `root` as if `root` were `/`:
 * symlinks are followed with absolute targets taken relative to `root`, and
 * `..` never climbs above it. Returns the host path, or undefined when a
 * component is missing. This is how a rootfs's `/lib -> /usr/lib` or
 * `/vmlinuz -> boot/vmlinuz-X` is read without ever touching host paths.
 */
export async function resolveInRoot(root: string, rel: string): Promise<string | undefined> {
  const pending = rel.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = posix.join(root, ...resolved, part);
    const st = await lstat(host).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    const target = await readlink(host);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return posix.join(root, ...resolved);
}
