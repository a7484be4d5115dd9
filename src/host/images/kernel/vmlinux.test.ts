import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codecs } from './compression.js';
import { syntheticBzImage } from './testing/synthetic-elf.js';
import { bzImagePayload, findPayloads } from './vmlinux.js';

describe('bzImage payload location', () => {
  it('uses the setup header and trims the appended size for non-gzip payloads', () => {
    const lz4ish = Buffer.concat([codecs.lz4.magic, Buffer.alloc(100, 7)]);
    const image = syntheticBzImage(lz4ish, 123456);
    const payload = bzImagePayload(image);
    expect(payload).toEqual({ format: 'lz4', offset: 4 * 512 + 300, length: 104, expectedSize: 123456 });
    expect(image.subarray(payload!.offset, payload!.offset + payload!.length).equals(lz4ish)).toBe(true);
  });

  it('keeps the gzip trailer, whose ISIZE is the appended size', () => {
    const gz = gzipSync(Buffer.alloc(5000, 1));
    const image = syntheticBzImage(gz, 5000, { appendSize: false });
    expect(bzImagePayload(image)).toMatchObject({ format: 'gzip', length: gz.length, expectedSize: 5000 });
  });

  it('ignores images without a valid header and falls back to a magic scan', () => {
    const raw = Buffer.concat([Buffer.alloc(50), codecs.zstd.magic, Buffer.alloc(20)]);
    expect(bzImagePayload(raw)).toBeUndefined();
    expect(findPayloads(raw)).toContainEqual({
      format: 'zstd',
      offset: 50,
      length: 24,
      expectedSize: undefined,
    });
  });

  it('rejects a header whose payload runs past the end of the file', () => {
    const image = syntheticBzImage(Buffer.concat([codecs.xz.magic, Buffer.alloc(10)]), 1);
    image.writeUInt32LE(1_000_000, 0x24c);
    expect(bzImagePayload(image)).toBeUndefined();
  });
});
