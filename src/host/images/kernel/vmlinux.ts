import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { type Compression, codecs, compressions, decompressFile, detectCompression } from './compression.js';
import { isElf64, pvhEntry } from './elf.js';
import { fsyncDir } from './verified-download.js';

export interface VmlinuxResult {
  path: string;
  /** How the payload was compressed inside vmlinuz; 'none' when the input already was an ELF. */
  compression: Compression | 'none';
  size: number;
  sha256: string;
  /** PVH entry point (Xen ELF note 18); undefined means Firecracker and QEMU cannot boot it directly. */
  pvhEntry: number | undefined;
}

interface Candidate {
  format: Compression;
  offset: number;
  length: number;
  /** Uncompressed size the kernel build appended to the payload, when known. */
  expectedSize: number | undefined;
}

const MAX_SCAN_HITS_PER_FORMAT = 8;

/**
 * Turns a kernel image (`vmlinuz` bzImage, or an already uncompressed ELF)
 * into an uncompressed ELF `vmlinux` at `dest`.
 *
 * The payload is located from the bzImage setup header (payload_offset and
 * payload_length, boot protocol >= 2.08), whose last 4 bytes are the
 * uncompressed size; images without that header fall back to a magic scan
 * like the kernel's scripts/extract-vmlinux. The result must be an ELF64;
 * it is written to a temp file, fsynced and renamed, so `dest` is never a
 * partial file. `requirePvh` rejects kernels without the PVH note.
 */
export async function extractVmlinux(opts: {
  runner: Runner;
  vmlinuz: string;
  dest: string;
  requirePvh?: boolean;
}): Promise<VmlinuxResult> {
  const image = await readFile(opts.vmlinuz);
  const tag = randomBytes(6).toString('hex');
  const tmpOut = join(dirname(opts.dest), `.${basename(opts.dest)}.${tag}.partial`);
  const tmpIn = join(dirname(opts.dest), `.${basename(opts.dest)}.${tag}.payload`);
  try {
    let compression: VmlinuxResult['compression'] = 'none';
    let elf: Buffer;
    if (isElf64(image)) {
      elf = image;
      await writeFile(tmpOut, elf);
    } else {
      const found = await decompressFirstElf(opts.runner, image, tmpIn, tmpOut, opts.vmlinuz);
      compression = found.format;
      elf = await readFile(tmpOut);
    }
    const entry = pvhEntry(elf);
    if (entry === undefined && opts.requirePvh) {
      throw new AppError(
        'host_unsupported',
        `${opts.vmlinuz} has no PVH entry note (Xen ELF note 18): the kernel was built without CONFIG_PVH, so Firecracker cannot boot it; use a kernel with CONFIG_PVH=y such as Debian's cloud kernel`,
      );
    }
    await fsyncFile(tmpOut);
    await rename(tmpOut, opts.dest);
    await fsyncDir(dirname(opts.dest));
    return {
      path: opts.dest,
      compression,
      size: elf.length,
      sha256: createHash('sha256').update(elf).digest('hex'),
      pvhEntry: entry,
    };
  } finally {
    await rm(tmpIn, { force: true });
    await rm(tmpOut, { force: true });
  }
}

async function decompressFirstElf(
  runner: Runner,
  image: Buffer,
  tmpIn: string,
  tmpOut: string,
  what: string,
): Promise<Candidate> {
  const candidates = findPayloads(image);
  if (candidates.length === 0) {
    throw new AppError(
      'invalid_argument',
      `${what} is neither an ELF nor a compressed kernel image (no gzip, xz, bzip2, lzma, lzo, lz4 or zstd payload found)`,
    );
  }
  const failures: string[] = [];
  for (const c of candidates) {
    await writeFile(tmpIn, image.subarray(c.offset, c.offset + c.length));
    const { exitCode, stderr } = await decompressFile(runner, c.format, tmpIn, tmpOut);
    const head = await readHead(tmpOut);
    if (!isElf64(head)) {
      failures.push(
        `${c.format}@${c.offset}: exit ${exitCode}, not an ELF ${stderr.trim().split('\n').at(-1) ?? ''}`,
      );
      continue;
    }
    const size = (await readFile(tmpOut)).length;
    if (c.expectedSize !== undefined && size % 2 ** 32 !== c.expectedSize) {
      failures.push(`${c.format}@${c.offset}: ${size} bytes, the image says ${c.expectedSize}`);
      continue;
    }
    return c;
  }
  throw new AppError(
    'operation_failed',
    `could not extract an ELF vmlinux from ${what}: ${failures.join('; ')}`,
  );
}

/** Payload candidates: the bzImage header's payload first, then a magic scan. */
export function findPayloads(image: Buffer): Candidate[] {
  const out: Candidate[] = [];
  const fromHeader = bzImagePayload(image);
  if (fromHeader) out.push(fromHeader);
  for (const format of compressions) {
    const magic = codecs[format].magic;
    let at = image.indexOf(magic);
    for (let hits = 0; at >= 0 && hits < MAX_SCAN_HITS_PER_FORMAT; hits++) {
      if (at !== fromHeader?.offset) {
        out.push({ format, offset: at, length: image.length - at, expectedSize: undefined });
      }
      at = image.indexOf(magic, at + 1);
    }
  }
  return out;
}

/**
 * The compressed payload described by an x86 bzImage setup header: the
 * protected-mode code starts at (setup_sects + 1) * 512 and the payload at
 * payload_offset within it. Every kernel compressor appends the uncompressed
 * size as 4 bytes at the end (gzip's ISIZE is the same field); except for
 * gzip, those bytes are not part of the stream and are trimmed.
 */
export function bzImagePayload(image: Buffer): Candidate | undefined {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  if (image.readUInt16LE(0x206) < 0x208) return undefined;
  const setupSects = image[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + image.readUInt32LE(0x248);
  const length = image.readUInt32LE(0x24c);
  if (length < 8 || offset + length > image.length) return undefined;
  const format = detectCompression(image, offset);
  if (!format) return undefined;
  const expectedSize = image.readUInt32LE(offset + length - 4);
  return { format, offset, length: format === 'gzip' ? length : length - 4, expectedSize };
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
