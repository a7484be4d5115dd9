import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { decompressFile } from '../kernel/compression.js';
import { elfSection } from '../kernel/elf.js';
import { type ModuleSource, normaliseModuleName } from './load-order.js';

const MODULE_FILE = /\.ko(\.xz|\.zst|\.gz)?$/;

/** A kernel's `/lib/modules/<version>` tree, indexed by module name. */
export interface ModuleTree {
  dir: string;
  /** Normalised module name → path relative to `dir` (possibly compressed). */
  files: Map<string, string>;
  /** Normalised names listed in modules.builtin. */
  builtin: Set<string>;
}

export function moduleNameFromPath(path: string): string {
  const base = path.split('/').at(-1) ?? path;
  return normaliseModuleName(base.replace(MODULE_FILE, ''));
}

/** Walks `dir` (not following symlinks such as `build` and `source`) for module files. */
export async function indexModuleTree(dir: string): Promise<ModuleTree> {
  const files = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile() && MODULE_FILE.test(e.name)) {
        const name = moduleNameFromPath(child);
        // Like depmod, prefer updates/ and extra/ over the stock kernel/ tree.
        if (!files.has(name) || !child.startsWith('kernel/')) files.set(name, child);
      }
    }
  };
  await walk('');
  const builtinText = await readFile(join(dir, 'modules.builtin'), 'utf8').catch(() => '');
  const builtin = new Set(
    builtinText
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(moduleNameFromPath),
  );
  return { dir, files, builtin };
}

/** `key=value` pairs from a module's .modinfo section (keys may repeat, e.g. alias). */
export function parseModinfo(ko: Buffer): Map<string, string[]> {
  const section = elfSection(ko, '.modinfo');
  const info = new Map<string, string[]>();
  if (!section) return info;
  for (const item of section.toString('latin1').split('\0')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq);
    info.set(key, [...(info.get(key) ?? []), item.slice(eq + 1)]);
  }
  return info;
}

/** A module's hard dependencies from its `depends=` modinfo field (what depmod derives too). */
export function moduleDepends(ko: Buffer): string[] {
  return (parseModinfo(ko).get('depends') ?? [])
    .flatMap((v) => v.split(','))
    .map((d) => d.trim())
    .filter((d) => d !== '');
}

/** The kernel release a module was built for: the first word of its `vermagic=`. */
export function moduleVermagic(ko: Buffer): string | undefined {
  return parseModinfo(ko).get('vermagic')?.[0]?.split(' ')[0];
}

/**
 * Reads a module, decompressing `.ko.gz` with zlib and `.ko.xz`/`.ko.zst`
 * with the host tool: busybox insmod cannot load compressed modules, so the
 * initramfs always carries plain `.ko` files.
 */
export async function readModuleFile(runner: Runner, path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  const format = path.endsWith('.ko.xz') ? 'xz' : 'zstd';
  const tmp = await mkdtemp(join(tmpdir(), 'banger-ko-'));
  try {
    const out = join(tmp, 'module.ko');
    const { exitCode, stderr } = await decompressFile(runner, format, path, out);
    if (exitCode !== 0) {
      throw new AppError('operation_failed', `could not decompress ${path}: ${stderr.trim()}`);
    }
    return await readFile(out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A lookup for planModuleLoad over a real module tree; payload is the decompressed module. */
export function treeLookup(runner: Runner, tree: ModuleTree) {
  return async (name: string): Promise<ModuleSource<Buffer> | undefined> => {
    const rel = tree.files.get(name);
    if (rel !== undefined) {
      const data = await readModuleFile(runner, join(tree.dir, rel));
      return {
        kind: 'file',
        relPath: rel.replace(MODULE_FILE, '.ko'),
        deps: moduleDepends(data),
        payload: data,
      };
    }
    return tree.builtin.has(name) ? { kind: 'builtin' } : undefined;
  };
}
