// The driver's snapshot calls against the stand-in in --no-guest mode (its
// API and state machine, checked against Firecracker's description): pause,
// a full snapshot, resume; a second VM launched from that snapshot on its own
// TAP and vsock socket, with relative drive paths naming its own disks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirecrackerApi } from '../../src/host/firecracker/api-client.js';
import { createFirecrackerDriver } from '../../src/host/firecracker/process-driver.js';
import { pauseVm, resumeVm, writeVmSnapshot } from '../../src/host/firecracker/snapshot.js';
import { rejectionOf } from '../../src/testing/app-error.js';
import { createHarness, NO_GUEST, processesWith } from './harness.js';

const h = createHarness();
afterAll(() => h.cleanup());
const driver = createFirecrackerDriver({ env: NO_GUEST, termGraceMs: 500 });

const stateOf = async (apiSock: string) => (await new FirecrackerApi(apiSock).describeInstance()).state;

describe('Firecracker snapshots through the driver (stand-in, no guest)', () => {
  it('pauses, writes a snapshot, resumes; a VM launched from it runs on its own TAP, vsock and disks', async () => {
    const relativeDisks = (spec: ReturnType<typeof h.spec>) =>
      spec.drives.map((d) => (d.isRoot ? d : { ...d, path: `${d.id}.ext4` }));
    const source = h.spec(1);
    const handle = await driver.launch({ ...source, drives: relativeDisks(source) });
    const files = { statePath: join(h.root, 'vm.state'), memPath: join(h.root, 'vm.mem') };

    // A running VM cannot be snapshotted: the refusal comes back as one line with Firecracker's reason.
    const running = await rejectionOf(writeVmSnapshot(handle, files));
    expect(running.code).toBe('operation_failed');
    expect(running.message).toMatch(
      /could not write a snapshot of the VM: .*save\/restore unavailable while running/,
    );

    await pauseVm(handle);
    expect(await stateOf(handle.apiSock)).toBe('Paused');
    await writeVmSnapshot(handle, files);
    expect(existsSync(files.statePath) && existsSync(files.memPath)).toBe(true);
    await resumeVm(handle);
    expect(await stateOf(handle.apiSock)).toBe('Running');

    const fork = h.spec(2);
    const forked = await driver.launch({ ...fork, restore: files });
    expect(await stateOf(forked.apiSock)).toBe('Running');
    const config = (await new FirecrackerApi(forked.apiSock).send({
      operationId: 'getExportVmConfig',
      method: 'GET',
      path: '/vm/config',
    })) as Record<string, unknown>;
    expect(config['network-interfaces']).toMatchObject([{ iface_id: 'eth0', host_dev_name: 'bgr-test2' }]);
    expect(config.vsock).toMatchObject({ uds_path: join(fork.vmDir, 'vsock.sock') });
    // The snapshot kept the relative paths, which Firecracker resolves in its working directory: the fork's dir.
    expect(
      (config.drives as { drive_id: string; path_on_host: string }[]).map((d) => d.path_on_host),
    ).toEqual([source.drives[0]?.path, 'system.ext4', 'work.ext4']);
    expect(existsSync(join(fork.vmDir, 'vsock.sock'))).toBe(true);

    expect(await driver.stop(forked, { timeoutMs: 10_000 })).toBe('graceful');
    expect(await driver.stop(handle, { timeoutMs: 10_000 })).toBe('graceful');
  });

  it('a launch from a snapshot that is not there fails with the call and Firecracker’s reason, and leaves no process', async () => {
    const spec = h.spec(3);
    const err = await rejectionOf(
      driver.launch({
        ...spec,
        restore: { statePath: join(h.root, 'none.state'), memPath: join(h.root, 'none.mem') },
      }),
    );
    expect(err.code).toBe('operation_failed');
    expect(err.message).toContain('failed at PUT /snapshot/load');
    expect(err.message).toContain('Failed to open snapshot file: No such file or directory (os error 2)');
    expect(processesWith(spec.vmDir)).toEqual([]);
  });
});
