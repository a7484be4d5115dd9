// The Firecracker driver against the real stand-in in --no-guest mode: full
// API and state machine, no QEMU.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirecrackerApi } from '../../src/host/firecracker/api-client.js';
import { createFirecrackerDriver } from '../../src/host/firecracker/process-driver.js';
import { resolveFirecracker } from '../../src/host/firecracker/resolve.js';
import { readProcStat } from '../../src/host/proc.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { rejectionOf } from '../../src/testing/app-error.js';
import { processAlive, STANDIN, spawnStandin } from '../support/qemu-standin.js';
import { createHarness, NO_GUEST, processesWith, sessionOf } from './harness.js';

const h = createHarness();
afterAll(() => h.cleanup());
const driver = createFirecrackerDriver({ env: NO_GUEST, termGraceMs: 500 });

describe('Firecracker driver (stand-in, no guest)', () => {
  it('launches, identifies, reports stats, stops gracefully, and is idempotent once gone', async () => {
    const spec = h.spec(1);
    const handle = await driver.launch(spec);
    expect(handle.apiSock).toBe(join(spec.vmDir, 'firecracker.sock'));
    expect(readProcStat(handle.pid)?.startTime).toBe(handle.startTime);
    expect(sessionOf(handle.pid)).toBe(handle.pid); // its own session
    expect(readlinkSync(`/proc/${handle.pid}/cwd`)).toBe(spec.vmDir);
    expect(await driver.identify(handle)).toBe(true);
    expect(await driver.inspect(handle)).toBe('running');
    const info = await new FirecrackerApi(handle.apiSock).describeInstance();
    expect(info).toMatchObject({ id: spec.vmId, state: 'Running' });
    for (const f of ['firecracker.log', 'metrics.json', 'console.log']) {
      expect(statSync(join(spec.vmDir, f)).mode & 0o777).toBe(0o600);
    }
    expect(existsSync(join(spec.vmDir, 'vsock.sock'))).toBe(true);
    expect(readFileSync(join(spec.vmDir, 'firecracker.log'), 'utf8')).toContain(
      'Successfully started microvm',
    );

    const cheap = await driver.stats(handle, { metrics: false });
    expect(cheap.metrics).toBeUndefined();
    expect(cheap.cpuSeconds).toBeGreaterThan(0);
    const stats = await driver.stats(handle);
    expect(stats.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(stats.cpuSeconds).toBeGreaterThan(0);
    expect(stats.metrics).toHaveProperty('utc_timestamp_ms');
    expect(stats.metrics?.put_api_requests).toMatchObject({ count: expect.any(Number) });
    expect((stats.metrics?.put_api_requests as { count: number } | undefined)?.count).toBeGreaterThanOrEqual(
      9,
    );

    const exited = driver.waitExit(handle);
    expect(await driver.stop(handle, { timeoutMs: 10_000 })).toBe('graceful');
    await exited;
    expect(processAlive(handle.pid)).toBe(false);
    expect(await driver.identify(handle)).toBe(false);
    expect(await driver.inspect(handle)).toBe('gone');
    expect(await driver.stop(handle)).toBe('gone');
    await driver.kill(handle);
    expect((await rejectionOf(driver.stats(handle))).code).toBe('conflict');

    // A restart in the same dir; after a SIGKILL the API socket file stays behind, and the next start copes.
    const again = await driver.launch(spec);
    expect(again.pid).not.toBe(handle.pid);
    await driver.kill(again);
    expect(processAlive(again.pid)).toBe(false);
    expect(existsSync(again.apiSock)).toBe(true);
    const third = await driver.launch(spec);
    expect(await driver.identify(third)).toBe(true);
    await driver.kill(third);
    expect(processesWith(spec.vmDir)).toEqual([]);
  });

  it('runs a Firecracker binary directly too (the stand-in through its shebang) and resolveFirecracker accepts it', async () => {
    const bin = join(h.root, 'firecracker');
    symlinkSync(STANDIN, bin);
    expect(await resolveFirecracker(new SpawnRunner(), bin)).toEqual({ path: bin, version: '1.16.1' });
    const handle = await driver.launch(h.spec(2, { firecrackerBin: bin }));
    expect(await driver.identify(handle)).toBe(true);
    expect(await driver.stop(handle)).toBe('graceful');
  });

  it('fails a launch with the failing call and fault message, and leaves no process behind', async () => {
    const spec = h.spec(3);
    const missing = join(h.root, 'no-such-vmlinux');
    const err = await rejectionOf(driver.launch({ ...spec, kernel: { ...spec.kernel, vmlinux: missing } }));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toContain(`Firecracker for VM ${spec.vmId} failed at PUT /boot-source:`);
    expect(err.message).toMatch(/kernel/i);
    expect(err.message).toContain('No such file or directory');
    expect(err.message).not.toContain('\n');
    expect(processesWith(spec.vmDir)).toEqual([]);

    const net = await rejectionOf(
      driver.launch({ ...h.spec(4), net: { tap: 'x'.repeat(16), mac: '06:00:00:00:00:09' } }),
    );
    expect(net.message).toContain('failed at PUT /network-interfaces/eth0');
    expect(processesWith(h.spec(4).vmDir)).toEqual([]);
  });

  it('reports a binary that dies at start with its console output', async () => {
    const spec = h.spec(5);
    const bin = join(h.root, 'dies-at-start');
    writeFileSync(bin, '#!/bin/sh\necho "Error: cannot open /dev/kvm" >&2\nexit 1\n', { mode: 0o755 });
    const err = await rejectionOf(driver.launch({ ...spec, firecrackerBin: bin }));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toBe(
      `Firecracker for VM ${spec.vmId} failed at waiting for the API socket: Firecracker exited with status 1 before its API socket answered; console.log: Error: cannot open /dev/kvm`,
    );
    expect(processesWith(spec.vmDir)).toEqual([]);
  });

  it('refuses to start over a socket that a live process listens on', async () => {
    const spec = h.spec(11);
    const first = await driver.launch(spec);
    try {
      const err = await rejectionOf(driver.launch(spec));
      expect(err.code).toBe('conflict');
      expect(err.message).toContain('is in use by a running process');
      expect(await driver.identify(first)).toBe(true);
    } finally {
      await driver.kill(first);
    }
  });

  it('says so when the VM dir is missing', async () => {
    const spec = h.spec(10);
    const err = await rejectionOf(driver.launch({ ...spec, vmDir: join(spec.vmDir, 'missing') }));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toBe(`cannot create Firecracker's files in ${join(spec.vmDir, 'missing')} (ENOENT)`);
  });

  it('refuses a socket path over the Unix limit before starting anything', async () => {
    const spec = h.spec(6);
    const err = await rejectionOf(driver.launch({ ...spec, vmDir: join(spec.vmDir, 'd'.repeat(100)) }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('107-byte limit');
  });

  it('cancels a launch on abort and kills what it started', async () => {
    const spec = h.spec(7);
    const ac = new AbortController();
    const launching = driver.launch(spec, ac.signal);
    setTimeout(() => ac.abort(), 30);
    expect((await rejectionOf(launching)).code).toBe('cancelled');
    expect(processesWith(spec.vmDir)).toEqual([]);
  });

  it('never identifies or signals an unrelated process at a recorded pid', async () => {
    const spec = h.spec(8);
    const real = await driver.launch(spec);
    // An unrelated process, even one whose command line names the same socket.
    const planted = spawn('sh', ['-c', 'sleep 60; :', 'planted', '--api-sock', real.apiSock], {
      stdio: 'ignore',
    });
    await new Promise((r) => planted.once('spawn', r));
    try {
      const pid = planted.pid ?? 0;
      const startTime = readProcStat(pid)?.startTime ?? 0;
      const impostors = [
        { ...real, pid }, // pid reused: start time differs
        { ...real, startTime: real.startTime + 1 }, // right pid, another start time
        { pid, startTime, apiSock: join(spec.vmDir, 'other.sock'), vmDir: spec.vmDir }, // exact pid+start, other socket
      ];
      for (const handle of impostors) {
        expect(await driver.identify(handle)).toBe(false);
        expect(await driver.inspect(handle)).toBe('gone');
        expect(await driver.stop(handle, { timeoutMs: 100 })).toBe('gone');
        await driver.kill(handle);
        await driver.kill(handle, 'SIGTERM');
        expect((await rejectionOf(driver.stats(handle))).code).toBe('conflict');
      }
      expect(processAlive(pid)).toBe(true);
      expect(await driver.identify(real)).toBe(true);
    } finally {
      planted.kill('SIGKILL');
      await driver.kill(real);
    }
  });

  it('escalates: SIGTERM for a VMM that cannot take Ctrl-Alt-Del, SIGKILL for one that ignores SIGTERM', async () => {
    // Not started: SendCtrlAltDel is refused before InstanceStart, so stop goes to SIGTERM.
    const dir = h.spec(9).vmDir;
    const fc = await spawnStandin({ dir, env: NO_GUEST });
    expect((await fc.api('GET', '/')).status).toBe(200); // the socket file exists a moment before it accepts
    const pid = fc.child.pid ?? 0;
    const handle = { pid, startTime: readProcStat(pid)?.startTime ?? 0, apiSock: fc.socketPath, vmDir: dir };
    expect(await driver.identify(handle)).toBe(true);
    expect(await driver.stop(handle, { timeoutMs: 200 })).toBe('terminated');
    expect((await fc.exited).signal).toBe('SIGTERM');

    const sock = join(dir, 'deaf.sock');
    const deaf = spawn(
      'sh',
      ['-c', 'trap "" TERM; while :; do sleep 0.05; done', 'deaf', '--api-sock', sock],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => deaf.once('spawn', r));
    const dpid = deaf.pid ?? 0;
    const exited = new Promise((r) => deaf.once('exit', (_code, signal) => r(signal)));
    await new Promise((r) => setTimeout(r, 100)); // let sh install its trap
    const deafHandle = {
      pid: dpid,
      startTime: readProcStat(dpid)?.startTime ?? 0,
      apiSock: sock,
      vmDir: dir,
    };
    // Its pid, start time and command line match but nothing answers: hung, not gone.
    expect(await driver.inspect(deafHandle)).toBe('unresponsive');
    expect(await driver.identify(deafHandle)).toBe(false);
    expect(await driver.stop(deafHandle, { timeoutMs: 100 })).toBe('killed');
    expect(await exited).toBe('SIGKILL');
  });
});
