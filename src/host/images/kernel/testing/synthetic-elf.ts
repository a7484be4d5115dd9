/**
 * Builds tiny ELF64 files for tests: optional Xen PVH note (PT_NOTE),
 * optional PT_INTERP (a dynamic executable), optional .modinfo section (a
 * kernel module). Not a loadable program; just the structures banger reads.
 */
export function syntheticElf(opts: {
  pvhEntry?: number;
  interp?: boolean;
  modinfo?: string[];
  padTo?: number;
}): Buffer {
  const phdrs: { type: number; data: Buffer }[] = [];
  if (opts.pvhEntry !== undefined) {
    const note = Buffer.alloc(12 + 4 + 8);
    note.writeUInt32LE(4, 0);
    note.writeUInt32LE(8, 4);
    note.writeUInt32LE(18, 8);
    note.write('Xen\0', 12, 'latin1');
    note.writeBigUInt64LE(BigInt(opts.pvhEntry), 16);
    // A GNU build-id note first, so the parser must walk past it.
    const gnu = Buffer.alloc(12 + 4 + 4);
    gnu.writeUInt32LE(4, 0);
    gnu.writeUInt32LE(4, 4);
    gnu.writeUInt32LE(3, 8);
    gnu.write('GNU\0', 12, 'latin1');
    phdrs.push({ type: 4, data: Buffer.concat([gnu, note]) });
  }
  if (opts.interp) phdrs.push({ type: 3, data: Buffer.from('/lib64/ld-linux-x86-64.so.2\0') });

  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little endian
  header[6] = 1;
  header.writeUInt16LE(2, 0x10); // ET_EXEC
  header.writeUInt16LE(0x3e, 0x12); // x86-64
  header.writeBigUInt64LE(64n, 0x20); // e_phoff
  header.writeUInt16LE(64, 0x34);
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(phdrs.length, 0x38);
  header.writeUInt16LE(64, 0x3a);

  let offset = 64 + 56 * phdrs.length;
  const table = Buffer.alloc(56 * phdrs.length);
  const bodies: Buffer[] = [];
  phdrs.forEach((p, i) => {
    table.writeUInt32LE(p.type, i * 56);
    table.writeBigUInt64LE(BigInt(offset), i * 56 + 8);
    table.writeBigUInt64LE(BigInt(p.data.length), i * 56 + 32);
    bodies.push(p.data);
    offset += p.data.length;
  });

  const parts = [header, table, ...bodies];
  if (opts.modinfo) {
    const modinfo = Buffer.from(`${opts.modinfo.join('\0')}\0`, 'latin1');
    const shstrtab = Buffer.from('\0.modinfo\0.shstrtab\0', 'latin1');
    const modinfoAt = offset;
    const shstrAt = modinfoAt + modinfo.length;
    const shoff = shstrAt + shstrtab.length;
    const sh = Buffer.alloc(64 * 3);
    const section = (i: number, name: number, type: number, at: number, size: number) => {
      sh.writeUInt32LE(name, i * 64);
      sh.writeUInt32LE(type, i * 64 + 4);
      sh.writeBigUInt64LE(BigInt(at), i * 64 + 0x18);
      sh.writeBigUInt64LE(BigInt(size), i * 64 + 0x20);
    };
    section(1, 1, 1, modinfoAt, modinfo.length);
    section(2, 10, 3, shstrAt, shstrtab.length);
    header.writeBigUInt64LE(BigInt(shoff), 0x28);
    header.writeUInt16LE(3, 0x3c);
    header.writeUInt16LE(2, 0x3e);
    parts.push(modinfo, shstrtab, sh);
  }
  const elf = Buffer.concat(parts);
  return opts.padTo && opts.padTo > elf.length
    ? Buffer.concat([elf, Buffer.alloc(opts.padTo - elf.length)])
    : elf;
}

/**
 * Wraps `payload` (a compressed kernel) in a minimal x86 bzImage: setup
 * header with `HdrS`, protocol 2.15, payload_offset/payload_length, and the
 * uncompressed size appended as the kernel build does. `prefix` bytes of
 * decompressor stub precede the payload.
 */
export function syntheticBzImage(
  payload: Buffer,
  uncompressedSize: number,
  opts: { appendSize?: boolean } = {},
): Buffer {
  const setupSects = 3;
  const setup = Buffer.alloc((setupSects + 1) * 512);
  setup[0x1f1] = setupSects;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(0x20f, 0x206);
  const stub = Buffer.alloc(300, 0x90);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(uncompressedSize >>> 0, 0);
  const body = opts.appendSize === false ? payload : Buffer.concat([payload, size]);
  setup.writeUInt32LE(stub.length, 0x248);
  setup.writeUInt32LE(body.length, 0x24c);
  return Buffer.concat([setup, stub, body, Buffer.alloc(64, 0xcc)]);
}
