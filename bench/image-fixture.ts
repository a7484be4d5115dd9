import type { EntrySpec } from '../test/oci/helpers/layout.js';

/**
 * A deterministic, rootfs-like set of layers for the image benchmark: many
 * small files in nested directories, a few large ones, symlinks, hardlinks,
 * setuid files, and whiteouts plus an opaque directory in the upper layers.
 * Content is slices of a pseudo-text pool so it compresses about like real
 * binaries and text (roughly 3:1 with gzip).
 */

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'lib usr share bin etc config the and of to in is for on with as by at from this that be are was int char void return if else while static const struct printf malloc free size_t'.split(
    ' ',
  );

function makePool(random: () => number, bytes: number): Buffer {
  const pool = Buffer.alloc(bytes);
  let i = 0;
  while (i < bytes) {
    if (random() < 0.06) {
      // binary-ish run
      const n = Math.min(bytes - i, 4 + Math.floor(random() * 24));
      for (let k = 0; k < n; k++) pool[i++] = Math.floor(random() * 256);
    } else {
      const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'x';
      i += pool.write(`${word} `, i, 'latin1');
    }
  }
  return pool;
}

function fileSize(random: () => number): number {
  const r = random();
  if (r < 0.7) return Math.floor(random() * 4096);
  if (r < 0.95) return 4096 + Math.floor(random() * 32 * 1024);
  if (r < 0.998) return 64 * 1024 + Math.floor(random() * 128 * 1024);
  return 1024 * 1024 + Math.floor(random() * 3 * 1024 * 1024);
}

export interface BenchLayers {
  layers: EntrySpec[][];
  files: number;
  bytes: number;
}

/** `scale` 1 is about 11,000 files and 200 MB uncompressed over three layers. */
export function benchLayers(scale = 1): BenchLayers {
  const random = mulberry32(42);
  const pool = makePool(random, 8 * 1024 * 1024);
  const content = (size: number): Buffer => {
    const start = Math.floor(random() * (pool.length - size - 1));
    return pool.subarray(start, start + size);
  };
  let files = 0;
  let bytes = 0;
  const tree = (prefix: string, count: number, dirs: number): EntrySpec[] => {
    const out: EntrySpec[] = [{ name: `${prefix}/`, type: 'directory' }];
    for (let d = 0; d < dirs; d++) out.push({ name: `${prefix}/d${d}/`, type: 'directory' });
    for (let i = 0; i < count; i++) {
      const size = fileSize(random);
      const dir = `${prefix}/d${i % dirs}`;
      const mode = random() < 0.3 ? 0o755 : 0o644;
      out.push({ name: `${dir}/f${i}`, content: content(size), mode, uid: random() < 0.05 ? 100 : 0 });
      if (random() < 0.05) out.push({ name: `${dir}/l${i}`, type: 'symlink', linkname: `f${i}` });
      if (random() < 0.01) out.push({ name: `${dir}/h${i}`, type: 'link', linkname: `${dir}/f${i}` });
      files++;
      bytes += size;
    }
    return out;
  };
  const n = Math.max(1, Math.round(7000 * scale));
  const base: EntrySpec[] = [
    { name: './', type: 'directory' },
    { name: 'usr/', type: 'directory' },
    ...tree('usr/lib', n, 60),
    ...tree('usr/share', Math.round(n / 3), 40),
    { name: 'usr/bin/', type: 'directory' },
    { name: 'usr/bin/su', content: content(60_000), mode: 0o4755 },
    { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
  ];
  const second: EntrySpec[] = [
    ...tree('opt/tool', Math.round(n / 7), 20),
    { name: 'usr/share/d0/.wh..wh..opq', content: '' },
    { name: 'usr/lib/d1/.wh.f1', content: '' },
    { name: 'usr/lib/.wh.d2', content: '' },
  ];
  const third: EntrySpec[] = [...tree('srv/app', Math.round(n / 14), 10)];
  return { layers: [base, second, third], files, bytes };
}
