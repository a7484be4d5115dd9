// Shared set-up for the driver's integration tests: a throwaway state dir
// with dummy kernel, initrd and drive files (the stand-in in --no-guest mode
// only opens them), and a way to find every process using an API socket.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmLaunchSpec } from '../../src/host/firecracker/driver.js';
import { readProcCmdline, readProcStat } from '../../src/host/proc.js';
import { STANDIN } from '../support/qemu-standin.js';

export const NO_GUEST = { BANGER_STANDIN_NO_GUEST: '1' };

export interface Harness {
  root: string;
  /** A fresh VM dir (0700) and a launch spec for it; `n` keeps ids, TAPs and MACs distinct. */
  spec(n: number, over?: Partial<VmLaunchSpec>): VmLaunchSpec;
  cleanup(): void;
}

export function createHarness(): Harness {
  const root = mkdtempSync(join(tmpdir(), 'banger-fc-'));
  const assets = join(root, 'assets');
  mkdirSync(assets);
  for (const f of ['vmlinux', 'initrd.img', 'rootfs.ext4']) writeFileSync(join(assets, f), 'x');
  return {
    root,
    spec(n, over = {}) {
      const id = `0000000000000${String(n).padStart(3, '0')}`;
      const vmDir = join(root, 'vms', id);
      mkdirSync(vmDir, { recursive: true, mode: 0o700 });
      for (const f of ['system.ext4', 'work.ext4']) writeFileSync(join(vmDir, f), 'x');
      return {
        vmId: id,
        vmDir,
        firecrackerBin: STANDIN,
        vcpu: 1,
        memoryMib: 128,
        kernel: { vmlinux: join(assets, 'vmlinux'), initrd: join(assets, 'initrd.img') },
        bootArgs: 'console=ttyS0 reboot=k panic=1',
        drives: [
          { id: 'rootfs', path: join(assets, 'rootfs.ext4'), readOnly: true, isRoot: true },
          { id: 'system', path: join(vmDir, 'system.ext4'), readOnly: false, isRoot: false },
          { id: 'work', path: join(vmDir, 'work.ext4'), readOnly: false, isRoot: false },
        ],
        net: { tap: `bgr-test${n}`, mac: `06:00:ac:10:00:${(n % 250).toString(16).padStart(2, '0')}` },
        vsock: { cid: 3 + n, udsPath: join(vmDir, 'vsock.sock') },
        ...over,
      };
    },
    cleanup() {
      for (const pid of processesWith(root)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Pids of live processes whose command line mentions `needle` (e.g. an API socket path). */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const stat = readProcStat(pid);
    if (!stat || stat.state === 'Z') continue;
    if (readProcCmdline(pid)?.some((a) => a.includes(needle))) pids.push(pid);
  }
  return pids;
}

/** Field 6 of /proc/<pid>/stat: the session id. */
export function sessionOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[3]);
}
