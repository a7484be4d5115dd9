// findVmmProcesses: which live processes reconcile treats as Firecrackers of
// this banger installation. Stand-ins are `sh` processes carrying the
// command line shapes; what must never match is as important as what must.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findVmmProcesses } from '../../src/host/firecracker/find-processes.js';
import { createFirecrackerDriver } from '../../src/host/firecracker/process-driver.js';
import { processAlive } from '../support/qemu-standin.js';

const root = mkdtempSync(join(tmpdir(), 'banger-find-vmm-'));
const vmsDir = join(root, 'state', 'vms');
const children: ChildProcess[] = [];

/** A process whose command line ends with `args` (`sh -c 'sleep…; :'` does not exec away). */
function planted(args: string[], prefix: string[] = []): number {
  const [cmd, ...rest] = [...prefix, 'sh', '-c', 'sleep 300; :', 'planted', ...args];
  const child = spawn(cmd!, rest, { stdio: 'ignore' });
  children.push(child);
  if (child.pid === undefined) throw new Error('spawn failed');
  return child.pid;
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('findVmmProcesses', () => {
  it('finds this user’s processes by an API socket directly in one of our VM dirs, nothing else', async () => {
    const sock = (id: string) => join(vmsDir, id, 'firecracker.sock');
    const mine = planted(['--api-sock', sock('0123456789abcdef'), '--id', '0123456789abcdef']);
    const mineEq = planted([`--api-sock=${sock('fedcba9876543210')}`]);
    const others = [
      planted(['--api-sock', join(root, 'other', 'vms', 'aaaaaaaaaaaaaaaa', 'firecracker.sock')]),
      planted(['--api-sock', join(vmsDir, 'a', 'b', 'firecracker.sock')]),
      planted(['--api-sock', join(vmsDir, 'aaaaaaaaaaaaaaaa', 'vsock.sock')]),
      planted([sock('bbbbbbbbbbbbbbbb')]),
    ];
    // Same command line, another user: never ours to stop.
    const foreign =
      process.getuid?.() === 0
        ? planted(
            ['--api-sock', sock('cccccccccccccccc')],
            ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
          )
        : undefined;
    await new Promise((r) => setTimeout(r, 200)); // let setpriv exec into sh

    const found = findVmmProcesses(vmsDir);
    expect(found.map((f) => f.pid).sort()).toEqual([mine, mineEq].sort());
    expect(found.find((f) => f.pid === mine)).toMatchObject({
      apiSock: sock('0123456789abcdef'),
      vmDir: join(vmsDir, '0123456789abcdef'),
    });
    for (const pid of [...others, ...(foreign ? [foreign] : [])]) expect(processAlive(pid)).toBe(true);

    // What reconcile does with them: the driver kills only a process matching the found handle.
    const driver = createFirecrackerDriver();
    for (const f of found) await driver.kill(f, 'SIGKILL');
    expect(processAlive(mine)).toBe(false);
    expect(findVmmProcesses(vmsDir)).toEqual([]);
  });
});
