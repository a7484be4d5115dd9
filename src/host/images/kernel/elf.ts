/**
 * Minimal ELF64 little-endian reader: just enough to check a vmlinux (PVH
 * note), a busybox (static or not) and a kernel module (.modinfo section).
 * Every accessor bounds-checks and returns undefined/empty on malformed input
 * rather than throwing, so callers can report what they expected instead.
 */

const PT_INTERP = 3;
const PT_NOTE = 4;
const SHT_NOTE = 7;

/** Xen's ELF note type for the 32-bit PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY). */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export function isElf64(buf: Buffer): boolean {
  return buf.length >= 64 && buf.readUInt32BE(0) === 0x7f454c46 && buf[4] === 2 && buf[5] === 1;
}

interface Segment {
  type: number;
  offset: number;
  filesz: number;
}

interface Section {
  nameOffset: number;
  type: number;
  offset: number;
  size: number;
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

function segments(buf: Buffer): Segment[] {
  if (!isElf64(buf)) return [];
  const phoff = u64(buf, 0x20);
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const out: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (phentsize < 56 || at + 56 > buf.length) break;
    out.push({ type: buf.readUInt32LE(at), offset: u64(buf, at + 8), filesz: u64(buf, at + 32) });
  }
  return out;
}

function sections(buf: Buffer): { list: Section[]; names: Section | undefined } {
  if (!isElf64(buf)) return { list: [], names: undefined };
  const shoff = u64(buf, 0x28);
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const list: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    if (shentsize < 64 || at + 64 > buf.length) break;
    list.push({
      nameOffset: buf.readUInt32LE(at),
      type: buf.readUInt32LE(at + 4),
      offset: u64(buf, at + 0x18),
      size: u64(buf, at + 0x20),
    });
  }
  return { list, names: list[shstrndx] };
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

function parseNotes(buf: Buffer, start: number, length: number): ElfNote[] {
  const notes: ElfNote[] = [];
  const end = Math.min(buf.length, start + length);
  let at = start;
  const align = (n: number) => (n + 3) & ~3;
  while (at + 12 <= end) {
    const namesz = buf.readUInt32LE(at);
    const descsz = buf.readUInt32LE(at + 4);
    const type = buf.readUInt32LE(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align(namesz);
    if (descAt + descsz > end) break;
    notes.push({
      name: buf.toString('latin1', nameAt, nameAt + Math.max(0, namesz - 1)),
      type,
      desc: buf.subarray(descAt, descAt + descsz),
    });
    at = descAt + align(descsz);
  }
  return notes;
}

/** All ELF notes, from PT_NOTE segments, or SHT_NOTE sections when there are none. */
export function elfNotes(buf: Buffer): ElfNote[] {
  const fromSegments = segments(buf)
    .filter((s) => s.type === PT_NOTE)
    .flatMap((s) => parseNotes(buf, s.offset, s.filesz));
  if (fromSegments.length > 0) return fromSegments;
  return sections(buf)
    .list.filter((s) => s.type === SHT_NOTE)
    .flatMap((s) => parseNotes(buf, s.offset, s.size));
}

/** The PVH entry point, if the image carries Xen's PHYS32_ENTRY note (CONFIG_PVH=y). */
export function pvhEntry(buf: Buffer): number | undefined {
  const note = elfNotes(buf).find((n) => n.name === 'Xen' && n.type === XEN_ELFNOTE_PHYS32_ENTRY);
  if (!note || note.desc.length < 4) return undefined;
  return note.desc.length >= 8 ? u64(note.desc, 0) : note.desc.readUInt32LE(0);
}

/** True for an ELF executable with no program interpreter (statically linked). */
export function isStaticElf(buf: Buffer): boolean {
  return isElf64(buf) && !segments(buf).some((s) => s.type === PT_INTERP);
}

/** The raw bytes of the named section, or undefined. */
export function elfSection(buf: Buffer, name: string): Buffer | undefined {
  const { list, names } = sections(buf);
  if (!names) return undefined;
  const section = list.find((s) => cString(buf, names.offset + s.nameOffset) === name);
  if (!section || section.offset + section.size > buf.length) return undefined;
  return buf.subarray(section.offset, section.offset + section.size);
}
