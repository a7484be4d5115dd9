// The stand-in's pause, resume, snapshot create and snapshot load in
// --no-guest mode, with Firecracker's refusals in its words: a snapshot of a
// running (unpaused) VM, a diff snapshot without dirty-page tracking, bad
// paths, a load after boot or after boot-specific configuration, the memory
// fields' rules, an override for an unknown interface; and a successful load
// that takes the new TAP and vsock socket, paused or resumed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandinProcess, spawnStandin } from '../support/qemu-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-snapshot-'));
const kernel = join(dir, 'vmlinux');
const rootfs = join(dir, 'rootfs.ext4');
writeFileSync(kernel, 'not really a kernel');
writeFileSync(rootfs, 'rootfs');
const state = join(dir, 'vm.state');
const memory = join(dir, 'vm.mem');

const SERDE = 'An error occurred when deserializing the json body of a request: ';
const LOAD = 'Load snapshot error: Failed to restore from snapshot: ';
const started: StandinProcess[] = [];

/** A stand-in of its own (its own directory, so its API socket), in no-guest mode. */
async function standin(name: string): Promise<StandinProcess> {
  const own = join(dir, name);
  mkdirSync(own);
  const fc = await spawnStandin({ dir: own, args: ['--no-guest', '--id', name] });
  started.push(fc);
  return fc;
}

const fault = (res: { body: unknown }) => (res.body as { fault_message?: string }).fault_message;
const stateOf = async (fc: StandinProcess) => ((await fc.api('GET', '/')).body as { state: string }).state;

afterAll(() => {
  for (const fc of started) fc.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshot create (no guest)', () => {
  let source: StandinProcess;

  beforeAll(async () => {
    source = await standin('source');
    const ok = async (method: string, path: string, body: unknown) =>
      expect((await source.api(method, path, body)).status).toBe(204);
    await ok('PUT', '/machine-config', { vcpu_count: 2, mem_size_mib: 64 });
    await ok('PUT', '/boot-source', { kernel_image_path: kernel, boot_args: 'console=ttyS0' });
    await ok('PUT', '/drives/rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: false,
    });
    await ok('PUT', '/network-interfaces/eth0', {
      iface_id: 'eth0',
      host_dev_name: 'tap-source',
      guest_mac: '06:00:AC:10:00:02',
    });
    await ok('PUT', '/vsock', { guest_cid: 3, uds_path: join(dir, 'source', 'v.sock') });
  });

  it('is refused before boot', async () => {
    const res = await source.api('PUT', '/snapshot/create', { snapshot_path: state, mem_file_path: memory });
    expect(fault(res)).toBe('The requested operation is not supported before starting the microVM.');
  });

  it('is refused while the VM runs (its vCPUs cannot save their state)', async () => {
    expect((await source.api('PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
    const res = await source.api('PUT', '/snapshot/create', { snapshot_path: state, mem_file_path: memory });
    expect(res.status).toBe(400);
    expect(fault(res)).toBe(
      'Create snapshot error: Cannot save the microVM state: Operation not allowed: save/restore unavailable while running',
    );
    expect(existsSync(state)).toBe(false);
  });

  it('refuses a diff snapshot without dirty-page tracking, and paths it cannot write', async () => {
    expect((await source.api('PATCH', '/vm', { state: 'Paused' })).status).toBe(204);
    expect(await stateOf(source)).toBe('Paused');
    const diff = await source.api('PUT', '/snapshot/create', {
      snapshot_path: state,
      mem_file_path: memory,
      snapshot_type: 'Diff',
    });
    expect(fault(diff)).toBe(
      'The requested operation is not supported: Diff snapshots are not allowed on uVMs with dirty page tracking disabled.',
    );
    const noDir = await source.api('PUT', '/snapshot/create', {
      snapshot_path: join(dir, 'missing', 'vm.state'),
      mem_file_path: memory,
    });
    expect(fault(noDir)).toBe(
      'Create snapshot error: Cannot perform open on the snapshot backing file: No such file or directory (os error 2)',
    );
    const noMemDir = await source.api('PUT', '/snapshot/create', {
      snapshot_path: state,
      mem_file_path: join(dir, 'missing', 'vm.mem'),
    });
    expect(fault(noMemDir)).toBe(
      'Create snapshot error: Cannot perform open on the memory backing file: No such file or directory (os error 2)',
    );
  });

  it('writes the state and a memory file of the guest’s size while paused, then resumes', async () => {
    const res = await source.api('PUT', '/snapshot/create', { snapshot_path: state, mem_file_path: memory });
    expect(res.status).toBe(204);
    expect(statSync(memory).size).toBe(64 * 1024 * 1024);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect((await source.api('PATCH', '/vm', { state: 'Resumed' })).status).toBe(204);
    expect(await stateOf(source)).toBe('Running');
  });
});

describe('snapshot load (no guest)', () => {
  it('checks the memory fields before anything else', async () => {
    const fc = await standin('fields');
    const both = await fc.api('PUT', '/snapshot/load', {
      snapshot_path: state,
      mem_file_path: memory,
      mem_backend: { backend_type: 'File', backend_path: memory },
    });
    expect(fault(both)).toBe(
      `${SERDE}too many fields: either \`mem_backend\` or \`mem_file_path\` exclusively is required.`,
    );
    const none = await fc.api('PUT', '/snapshot/load', { snapshot_path: state });
    expect(fault(none)).toBe(
      `${SERDE}missing field: either \`mem_backend\` or \`mem_file_path\` is required.`,
    );
    expect(await stateOf(fc)).toBe('Not started');
  });

  it('is refused after boot-specific configuration, even a refused one', async () => {
    const fc = await standin('configured');
    const bad = await fc.api('PUT', '/boot-source', { kernel_image_path: join(dir, 'no-such-kernel') });
    expect(bad.status).toBe(400);
    const res = await fc.api('PUT', '/snapshot/load', { snapshot_path: state, mem_file_path: memory });
    expect(fault(res)).toBe(
      'Load snapshot error: Loading a microVM snapshot not allowed after configuring boot-specific resources.',
    );
    expect(await stateOf(fc)).toBe('Not started'); // refused before the restore: the process goes on
  });

  it('is refused after boot', async () => {
    const fc = await standin('booted');
    await fc.api('PUT', '/boot-source', { kernel_image_path: kernel });
    expect((await fc.api('PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
    const res = await fc.api('PUT', '/snapshot/load', { snapshot_path: state, mem_file_path: memory });
    expect(fault(res)).toBe('The requested operation is not supported after starting the microVM.');
  });

  it.each([
    {
      name: 'a missing state file',
      body: { snapshot_path: join(dir, 'none.state'), mem_file_path: memory },
      fault: `${LOAD}Failed to get snapshot state from file: Failed to open snapshot file: No such file or directory (os error 2)`,
    },
    {
      name: 'an empty state file',
      body: { snapshot_path: rootfs, mem_file_path: memory },
      fault: `${LOAD}Failed to get snapshot state from file: Failed to load snapshot state from file: Snapshot file is smaller than CRC length.`,
    },
    {
      name: 'an override for an interface the snapshot lacks',
      body: {
        snapshot_path: state,
        mem_file_path: memory,
        network_overrides: [{ iface_id: 'eth9', host_dev_name: 'tap-x' }],
      },
      fault: `${LOAD}Failed to get snapshot state from file: Unknown Network Device.`,
    },
    {
      name: 'a missing memory file',
      body: {
        snapshot_path: state,
        mem_backend: { backend_type: 'File', backend_path: join(dir, 'none.mem') },
      },
      fault: `${LOAD}Failed to load guest memory: Error creating guest memory from file: Failed to load guest memory: No such file or directory (os error 2)`,
    },
  ])('fails on $name, answers, then exits as Firecracker does', async (c) => {
    const fc = await standin(`bad-${started.length}`);
    const res = await fc.api('PUT', '/snapshot/load', c.body);
    expect(res.status).toBe(400);
    expect(fault(res)).toBe(c.fault);
    expect(await fc.exited).toEqual({ code: 1, signal: null });
  });

  it('restores the machine paused, on a new TAP and vsock socket, and resumes', async () => {
    const fc = await standin('fork');
    const uds = join(dir, 'fork', 'v.sock');
    const res = await fc.api('PUT', '/snapshot/load', {
      snapshot_path: state,
      mem_backend: { backend_type: 'File', backend_path: memory },
      network_overrides: [{ iface_id: 'eth0', host_dev_name: 'tap-fork' }],
      vsock_override: { uds_path: uds },
    });
    expect(res.status).toBe(204);
    expect(await stateOf(fc)).toBe('Paused');
    expect(existsSync(uds)).toBe(true);
    const config = (await fc.api('GET', '/vm/config')).body as Record<string, unknown>;
    expect(config['machine-config']).toMatchObject({ vcpu_count: 2, mem_size_mib: 64 });
    expect(config['network-interfaces']).toMatchObject([
      { iface_id: 'eth0', host_dev_name: 'tap-fork', guest_mac: '06:00:AC:10:00:02' },
    ]);
    expect(config.vsock).toEqual({ guest_cid: 3, uds_path: uds });
    expect((config.drives as { path_on_host: string }[])[0]?.path_on_host).toBe(rootfs);
    // Restored, not booted: InstanceStart and a second load are refused, a resume runs it.
    const start = await fc.api('PUT', '/actions', { action_type: 'InstanceStart' });
    expect(fault(start)).toBe('The requested operation is not supported after starting the microVM.');
    expect((await fc.api('PATCH', '/vm', { state: 'Resumed' })).status).toBe(204);
    expect(await stateOf(fc)).toBe('Running');
    expect((await fc.api('PUT', '/actions', { action_type: 'SendCtrlAltDel' })).status).toBe(204);
    expect(await fc.exited).toEqual({ code: 0, signal: null });
  });

  it('resumes at once with resume_vm', async () => {
    const fc = await standin('resumed');
    const res = await fc.api('PUT', '/snapshot/load', {
      snapshot_path: state,
      mem_file_path: memory,
      resume_vm: true,
      vsock_override: { uds_path: join(dir, 'resumed', 'v.sock') },
    });
    expect(res.status).toBe(204);
    expect(await stateOf(fc)).toBe('Running');
  });
});
