/**
 * Writer (and a small reader, for tests and checks) for the "newc" cpio
 * format the kernel unpacks into its initramfs (SVR4 without CRC, magic
 * 070701). Entries are always owned by 0:0 with mtime 0, so the archive
 * depends only on its contents and needs no root privileges to build, even
 * for device nodes.
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';
const HEADER_LEN = 110;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): number {
  return (4 - (len % 4)) % 4;
}

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rmaj: number;
  rmin: number;
  nameLen: number;
}): string {
  return [
    '070701',
    hex8(fields.ino),
    hex8(fields.mode),
    hex8(0), // uid
    hex8(0), // gid
    hex8(fields.nlink),
    hex8(0), // mtime
    hex8(fields.size),
    hex8(0), // devmajor
    hex8(0), // devminor
    hex8(fields.rmaj),
    hex8(fields.rmin),
    hex8(fields.nameLen),
    hex8(0), // check
  ].join('');
}

function record(
  ino: number,
  name: string,
  mode: number,
  data: Buffer,
  nlink: number,
  rdev = [0, 0],
): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const head = Buffer.from(
    header({
      ino,
      mode,
      nlink,
      size: data.length,
      rmaj: rdev[0] ?? 0,
      rmin: rdev[1] ?? 0,
      nameLen: nameBuf.length,
    }),
    'latin1',
  );
  return [
    head,
    nameBuf,
    Buffer.alloc(pad4(HEADER_LEN + nameBuf.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ];
}

/** Normalises an archive path: no leading `/` or `./`, no empty or `..` components. */
export function archivePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..'))
    throw new Error(`invalid cpio path ${JSON.stringify(path)}`);
  return parts.join('/');
}

/**
 * Serialises entries in the given order (parents must come before their
 * children: the kernel creates entries as it reads them) and appends the
 * trailer.
 */
export function writeNewc(entries: readonly CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = archivePath(e.path);
    switch (e.type) {
      case 'dir':
        chunks.push(...record(ino++, name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), 2));
        break;
      case 'file':
        chunks.push(...record(ino++, name, S_IFREG | (e.mode ?? 0o644), e.data, 1));
        break;
      case 'symlink':
        chunks.push(...record(ino++, name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), 1));
        break;
      case 'chardev':
        chunks.push(
          ...record(ino++, name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), 1, [e.major, e.minor]),
        );
        break;
    }
  }
  chunks.push(...record(0, TRAILER, 0, Buffer.alloc(0), 1));
  return Buffer.concat(chunks);
}

export interface ParsedCpioEntry {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Buffer;
}

/** Parses a newc archive (uncompressed) up to its trailer. Throws on malformed input. */
export function readNewc(buf: Buffer): ParsedCpioEntry[] {
  const out: ParsedCpioEntry[] = [];
  let at = 0;
  while (at + HEADER_LEN <= buf.length) {
    const magic = buf.toString('latin1', at, at + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic ${JSON.stringify(magic)} at offset ${at}`);
    const field = (i: number) => Number.parseInt(buf.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const size = field(6);
    const nameLen = field(11);
    const nameStart = at + HEADER_LEN;
    const path = buf.toString('utf8', nameStart, nameStart + nameLen - 1);
    const dataStart = nameStart + nameLen + pad4(HEADER_LEN + nameLen);
    if (path === TRAILER) return out;
    if (dataStart + size > buf.length) throw new Error(`truncated cpio entry ${path}`);
    out.push({
      path,
      mode: field(1),
      uid: field(2),
      gid: field(3),
      rdevMajor: field(9),
      rdevMinor: field(10),
      data: buf.subarray(dataStart, dataStart + size),
    });
    at = dataStart + size + pad4(size);
  }
  throw new Error('cpio archive has no trailer');
}
