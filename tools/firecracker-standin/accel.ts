// Chooses how QEMU runs the guest. /dev/kvm existing is not enough (on the
// development machines it opens but cannot run a guest: QEMU aborts setting
// MSRs), so "auto" boots a 200-byte PVH guest under KVM and keeps KVM only if
// that guest prints to the serial port and exits through isa-debug-exit.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Accel = 'kvm' | 'tcg';
const ACCEL_ENV = 'BANGER_STANDIN_ACCEL';
const TSC_ENV = 'BANGER_STANDIN_TSC_KHZ';

const PROBE_EXIT = 0x31; // isa-debug-exit turns it into status (0x31 << 1) | 1 = 99

/**
 * An ELF64 with a Xen PVH entry note (what QEMU's -kernel looks for) whose
 * 32-bit code writes "K\n" to COM1 and then `0x31` to the isa-debug-exit port.
 */
export function probeElf(): Buffer {
  // mov dx,0x3f8; mov al,'K'; out dx,al; mov al,10; out dx,al; mov al,0x31; out 0xf4,al; hlt; jmp $-1
  const code = [
    0x66,
    0xba,
    0xf8,
    0x03,
    0xb0,
    0x4b,
    0xee,
    0xb0,
    0x0a,
    0xee,
    0xb0,
    PROBE_EXIT,
    0xe6,
    0xf4,
    0xf4,
    0xeb,
    0xfd,
  ];
  const base = 0x100000;
  const noteOff = 64 + 2 * 56;
  const codeOff = noteOff + 24;
  const size = codeOff + code.length;
  const b = Buffer.alloc(size);
  b.write('\x7fELF', 0, 'latin1');
  b.set([2, 1, 1], 4); // 64-bit, little-endian, version 1
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(62, 18); // EM_X86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(base + codeOff), 24); // e_entry
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(64, 52); // e_ehsize
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(2, 56); // e_phnum
  const phdr = (
    at: number,
    type: number,
    flags: number,
    off: number,
    addr: number,
    len: number,
    align: number,
  ) => {
    b.writeUInt32LE(type, at);
    b.writeUInt32LE(flags, at + 4);
    b.writeBigUInt64LE(BigInt(off), at + 8);
    b.writeBigUInt64LE(BigInt(addr), at + 16);
    b.writeBigUInt64LE(BigInt(addr), at + 24);
    b.writeBigUInt64LE(BigInt(len), at + 32);
    b.writeBigUInt64LE(BigInt(len), at + 40);
    b.writeBigUInt64LE(BigInt(align), at + 48);
  };
  phdr(64, 1, 5, 0, base, size, 0x1000); // PT_LOAD, R+X, whole file at 1 MiB
  phdr(120, 4, 4, noteOff, base + noteOff, 24, 4); // PT_NOTE
  b.writeUInt32LE(4, noteOff); // namesz
  b.writeUInt32LE(8, noteOff + 4); // descsz
  b.writeUInt32LE(18, noteOff + 8); // XEN_ELFNOTE_PHYS32_ENTRY
  b.write('Xen\0', noteOff + 12, 'latin1');
  b.writeBigUInt64LE(BigInt(base + codeOff), noteOff + 16);
  b.set(code, codeOff);
  return b;
}

/** True when QEMU can really run a guest under KVM here. Never throws. */
async function kvmWorks(qemuBin: string, timeoutMs = 10_000): Promise<boolean> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const dir = mkdtempSync(join(tmpdir(), 'standin-kvm-probe-'));
  try {
    const elf = join(dir, 'probe.elf');
    writeFileSync(elf, probeElf());
    const args = ['-M', 'microvm', '-accel', 'kvm', '-cpu', 'host', '-nodefaults', '-no-user-config'];
    args.push('-display', 'none', '-no-reboot', '-serial', 'stdio', '-kernel', elf);
    args.push('-device', 'isa-debug-exit,iobase=0xf4,iosize=4');
    return await new Promise<boolean>((resolve) => {
      const child = spawn(qemuBin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => resolve(false));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code === (PROBE_EXIT << 1) + 1 && out.includes('K'));
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** $BANGER_STANDIN_ACCEL = kvm | tcg | auto (default): kvm and tcg are taken as given. */
export async function chooseAccel(qemuBin: string, env: NodeJS.ProcessEnv = process.env): Promise<Accel> {
  const wanted = (env[ACCEL_ENV] ?? 'auto').toLowerCase();
  if (wanted === 'kvm' || wanted === 'tcg') return wanted;
  return (await kvmWorks(qemuBin)) ? 'kvm' : 'tcg';
}

/**
 * The host TSC frequency in kHz. Under TCG the guest's TSC is the host's, and
 * the microvm machine (no PIT) gives the kernel nothing to calibrate against,
 * so it must be told (tsc_early_khz=). $BANGER_STANDIN_TSC_KHZ overrides.
 */
export function hostTscKhz(
  env: NodeJS.ProcessEnv = process.env,
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): number | undefined {
  const fromEnv = Number(env[TSC_ENV]);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  try {
    const sysfs = Number(readText('/sys/devices/system/cpu/cpu0/tsc_freq_khz').trim());
    if (Number.isInteger(sysfs) && sysfs > 0) return sysfs;
  } catch {
    // Only some kernels have tsc_freq_khz; /proc/cpuinfo is the portable source.
  }
  try {
    return tscFromCpuinfo(readText('/proc/cpuinfo'));
  } catch {
    return undefined;
  }
}

export function tscFromCpuinfo(cpuinfo: string): number | undefined {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(cpuinfo);
  if (!m?.[1]) return undefined;
  const khz = Math.round(Number(m[1]) * 1000);
  return khz > 0 ? khz : undefined;
}
