import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';

export type Compression = 'gzip' | 'xz' | 'bzip2' | 'lzma' | 'lzo' | 'lz4' | 'zstd';

interface Codec {
  magic: Buffer;
  /** Host command that decompresses stdin to stdout. */
  argv: readonly string[];
  /** Debian package that provides it, for error messages and doctor. */
  aptPackage: string;
}

/** The formats Linux can compress a bzImage payload with, as recognised by scripts/extract-vmlinux. */
export const codecs: Readonly<Record<Compression, Codec>> = {
  gzip: { magic: Buffer.from([0x1f, 0x8b, 0x08]), argv: ['gzip', '-dc'], aptPackage: 'gzip' },
  xz: {
    magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    argv: ['xz', '-dc'],
    aptPackage: 'xz-utils',
  },
  bzip2: { magic: Buffer.from('BZh', 'latin1'), argv: ['bzip2', '-dc'], aptPackage: 'bzip2' },
  lzma: {
    magic: Buffer.from([0x5d, 0x00, 0x00]),
    argv: ['xz', '--format=lzma', '-dc'],
    aptPackage: 'xz-utils',
  },
  lzo: { magic: Buffer.from([0x89, 0x4c, 0x5a, 0x4f]), argv: ['lzop', '-dc'], aptPackage: 'lzop' },
  lz4: { magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), argv: ['lz4', '-dc'], aptPackage: 'lz4' },
  zstd: { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dc'], aptPackage: 'zstd' },
};

export const compressions = Object.keys(codecs) as Compression[];

/** The format whose magic starts `buf` at `offset`, if any. */
export function detectCompression(buf: Buffer, offset = 0): Compression | undefined {
  return compressions.find((c) => {
    const { magic } = codecs[c];
    return offset + magic.length <= buf.length && buf.subarray(offset, offset + magic.length).equals(magic);
  });
}

/**
 * Decompresses the file `input` into `output` with the host tool for
 * `format`. Does not throw on a non-zero exit: kernel payloads may carry
 * trailing bytes that some tools complain about after writing everything,
 * so callers validate the output instead. Throws host_unsupported when the
 * tool is missing.
 */
export async function decompressFile(
  runner: Runner,
  format: Compression,
  input: string,
  output: string,
): Promise<{ exitCode: number; stderr: string }> {
  const codec = codecs[format];
  // Positional parameters keep paths out of the script text.
  const script = 'in=$1; out=$2; shift 2; exec "$@" < "$in" > "$out"';
  const result = await runner.run(['sh', '-c', script, 'sh', input, output, ...codec.argv], {
    check: false,
    timeoutMs: 300_000,
  });
  if (result.exitCode === 127) {
    throw new AppError(
      'host_unsupported',
      `${codec.argv[0]} is needed to decompress ${format} data but is not installed; install the ${codec.aptPackage} package`,
    );
  }
  return { exitCode: result.exitCode, stderr: result.stderr };
}
