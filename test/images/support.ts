import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernelSet } from '../../src/host/images/kernel/kernel-set.js';
import type { KernelManifest } from '../../src/host/images/kernel/manifest.js';
import { type BangerPaths, resolvePaths } from '../../src/host/paths.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { writeSyntheticKernelTree } from '../kernel/support/synthetic-kernel.js';
import type { Sandbox } from '../support/sandbox.js';

const runner = new SpawnRunner();

/** The paths the sandbox's daemon uses. */
export function pathsOf(sb: Sandbox): BangerPaths {
  return resolvePaths(sb.env);
}

/** A small real ext4 file (sparse), made with mkfs.ext4. */
export async function makeExt4(path: string, sizeMiB = 16): Promise<string> {
  await runner.run(['mkfs.ext4', '-q', '-F', '-L', 'test', path, `${sizeMiB}M`]);
  return path;
}

/**
 * A real kernel set built by banger's own builder from a synthetic kernel
 * tree (not bootable, but every file and kernel.json are genuine).
 */
export async function makeKernelSet(dest: string): Promise<KernelManifest> {
  const scratch = await mkdtemp(join(tmpdir(), 'banger-kroot-'));
  try {
    await writeSyntheticKernelTree(scratch);
    await mkdir(join(dest, '..'), { recursive: true, mode: 0o700 });
    return await buildKernelSet({ runner, input: { kind: 'rootfs', root: scratch }, dest });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Asserts-friendly view of a CLI run: exactly one stderr line for a failure. */
export function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got:\n${stderr}`);
  return lines[0] ?? '';
}
