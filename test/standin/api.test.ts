// The stand-in's API in --no-guest mode: Firecracker's validation and state
// rules, table-driven. Expected messages are Firecracker's wording (see
// tools/firecracker-standin/faults.ts for the sources).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandinProcess, spawnStandin } from '../support/qemu-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-api-'));
const kernel = join(dir, 'vmlinux');
const rootfs = join(dir, 'rootfs.ext4');
const data = join(dir, 'data.ext4');
const logFile = join(dir, 'fc.log');
writeFileSync(kernel, 'not really a kernel');
writeFileSync(rootfs, 'rootfs');
writeFileSync(data, 'data');
writeFileSync(logFile, '');

const SERDE = 'An error occurred when deserializing the json body of a request: ';
const VCPU =
  'Machine config error: The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.';
const AFTER = 'The requested operation is not supported after starting the microVM.';
const BEFORE = 'The requested operation is not supported before starting the microVM.';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** The exact fault_message, or a pattern for messages that embed a position or a list. */
  fault: string | RegExp;
}

// Requests that must all be refused before boot. Some rely on the two setup
// calls in beforeAll (a root drive and a network interface exist).
const preBoot: Case[] = [
  {
    name: 'unknown field',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 2, mem_size_mib: 256, foo: 1 },
    fault:
      /^An error occurred when deserializing the json body of a request: unknown field `foo`, expected one of .*`vcpu_count`.* at line 1 column \d+\.$/,
  },
  {
    name: 'wrong type (string for u8)',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: '2', mem_size_mib: 256 },
    fault: `${SERDE}invalid type: string "2", expected u8 at line 1 column 17.`,
  },
  {
    name: 'float for an integer',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": 1.5, "mem_size_mib": 256}',
    fault: `${SERDE}invalid type: floating point \`1.5\`, expected u8 at line 1 column 18.`,
  },
  {
    name: 'integer out of u8 range',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": 300, "mem_size_mib": 256}',
    fault: `${SERDE}invalid value: integer \`300\`, expected u8 at line 1 column 18.`,
  },
  {
    name: 'vcpu_count 0',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 0, mem_size_mib: 256 },
    fault: VCPU,
  },
  {
    name: 'vcpu_count 33',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 33, mem_size_mib: 256 },
    fault: VCPU,
  },
  {
    name: 'odd vcpu_count with SMT',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 3, mem_size_mib: 256, smt: true },
    fault: VCPU,
  },
  {
    name: 'mem_size_mib 0',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 1, mem_size_mib: 0 },
    fault:
      'Machine config error: The memory size (MiB) is either 0, or not a multiple of the configured page size.',
  },
  {
    name: 'missing required field',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": 2}',
    fault: `${SERDE}missing field \`mem_size_mib\` at line 1 column 17.`,
  },
  {
    name: 'null for a required field',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": null, "mem_size_mib": 256}',
    fault: `${SERDE}invalid type: null, expected u8 at line 1 column 19.`,
  },
  {
    name: 'duplicate field',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": 1, "vcpu_count": 2, "mem_size_mib": 256}',
    fault: `${SERDE}duplicate field \`vcpu_count\` at line 1 column 30.`,
  },
  {
    name: 'bad enum value',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 1, mem_size_mib: 256, huge_pages: '7M' },
    fault:
      /^An error occurred when deserializing the json body of a request: unknown variant `7M`, expected `None` or `2M` at line 1 column \d+\.$/,
  },
  {
    name: 'empty PATCH of machine-config',
    method: 'PATCH',
    path: '/machine-config',
    body: {},
    fault: 'Empty PATCH request.',
  },
  {
    name: 'malformed JSON',
    method: 'PUT',
    path: '/machine-config',
    body: 'not json',
    fault: `${SERDE}expected ident at line 1 column 2.`,
  },
  {
    name: 'trailing comma',
    method: 'PUT',
    path: '/machine-config',
    body: '{"vcpu_count": 1,}',
    fault: `${SERDE}trailing comma at line 1 column 18.`,
  },
  { name: 'empty PUT', method: 'PUT', path: '/machine-config', fault: 'Empty PUT request.' },
  {
    name: 'GET with a body',
    method: 'GET',
    path: '/machine-config',
    body: { vcpu_count: 1 },
    fault: 'GET request cannot have a body.',
  },
  {
    name: 'unknown path',
    method: 'PUT',
    path: '/foo',
    body: {},
    fault: 'Invalid request method and/or path: PUT foo.',
  },
  {
    name: 'unknown method for a path',
    method: 'PATCH',
    path: '/boot-source',
    body: { kernel_image_path: kernel },
    fault: 'Invalid request method and/or path: PATCH boot-source.',
  },
  {
    name: 'missing drive_id',
    method: 'PUT',
    path: '/drives/rootfs',
    body: { path_on_host: rootfs, is_root_device: true },
    fault:
      /^An error occurred when deserializing the json body of a request: missing field `drive_id` at line 1 column \d+\.$/,
  },
  {
    name: 'drive id in path differs from body',
    method: 'PUT',
    path: '/drives/rootfs',
    body: { drive_id: 'other', path_on_host: rootfs, is_root_device: false },
    fault: 'The id from the path does not match the id from the body!',
  },
  {
    name: 'drive id with a dash',
    method: 'PUT',
    path: '/drives/root-fs',
    body: { drive_id: 'root-fs', path_on_host: rootfs, is_root_device: false },
    fault: 'API Resource IDs can only contain alphanumeric characters and underscores.',
  },
  {
    name: 'drive without id in the path',
    method: 'PUT',
    path: '/drives',
    body: { drive_id: 'x', path_on_host: rootfs, is_root_device: false },
    fault: 'The ID cannot be empty.',
  },
  {
    name: 'boolean given as string',
    method: 'PUT',
    path: '/drives/data',
    body: { drive_id: 'data', path_on_host: data, is_root_device: false, is_read_only: 'yes' },
    fault: /invalid type: string "yes", expected a boolean at line 1 column \d+\.$/,
  },
  {
    name: 'bad cache_type',
    method: 'PUT',
    path: '/drives/data',
    body: { drive_id: 'data', path_on_host: data, is_root_device: false, cache_type: 'Fast' },
    fault: /unknown variant `Fast`, expected `Unsafe` or `Writeback`/,
  },
  {
    name: 'drive file missing',
    method: 'PUT',
    path: '/drives/data',
    body: { drive_id: 'data', path_on_host: join(dir, 'nope'), is_root_device: false },
    fault: /^Drive config error: Unable to create the virtio block device: .*No such file or directory/,
  },
  {
    name: 'second root drive',
    method: 'PUT',
    path: '/drives/data',
    body: { drive_id: 'data', path_on_host: data, is_root_device: true },
    fault: 'Drive config error: A root block device already exists!',
  },
  {
    name: 'unknown field in a nested object',
    method: 'PUT',
    path: '/drives/data',
    body: {
      drive_id: 'data',
      path_on_host: data,
      is_root_device: false,
      rate_limiter: { bytes: { size: 1, refill_time: 1 } },
    },
    fault: /unknown field `bytes`, expected `bandwidth` or `ops`/,
  },
  {
    name: 'boot source without kernel',
    method: 'PUT',
    path: '/boot-source',
    body: { boot_args: 'console=ttyS0' },
    fault: /missing field `kernel_image_path`/,
  },
  {
    name: 'kernel file missing',
    method: 'PUT',
    path: '/boot-source',
    body: { kernel_image_path: join(dir, 'nope') },
    fault: 'Boot source error: The kernel file cannot be opened: No such file or directory (os error 2)',
  },
  {
    name: 'initrd file missing',
    method: 'PUT',
    path: '/boot-source',
    body: { kernel_image_path: kernel, initrd_path: join(dir, 'nope') },
    fault:
      'Boot source error: The initrd file cannot be opened due to invalid path or invalid permissions. No such file or directory (os error 2)',
  },
  {
    name: 'interface id in path differs from body',
    method: 'PUT',
    path: '/network-interfaces/eth0',
    body: { iface_id: 'eth1', host_dev_name: 'tap1' },
    fault: 'The id from the path [eth0] does not match the id from the body [eth1]!',
  },
  {
    name: 'interface without host_dev_name',
    method: 'PUT',
    path: '/network-interfaces/eth1',
    body: { iface_id: 'eth1' },
    fault: /missing field `host_dev_name`/,
  },
  {
    name: 'TAP name longer than Linux allows',
    method: 'PUT',
    path: '/network-interfaces/eth1',
    body: { iface_id: 'eth1', host_dev_name: 'a-name-of-16byte' },
    fault:
      'Network config error: Could not create the network device: Open tap device failed: Invalid interface name.',
  },
  {
    name: 'MTU below the spec minimum',
    method: 'PUT',
    path: '/network-interfaces/eth1',
    body: { iface_id: 'eth1', host_dev_name: 'tap1', mtu: 10 },
    fault: /invalid value: integer `10`, expected u16 in 68..=65535/,
  },
  {
    name: 'guest MAC already used',
    method: 'PUT',
    path: '/network-interfaces/eth1',
    body: { iface_id: 'eth1', host_dev_name: 'tap1', guest_mac: '06:00:AC:10:00:02' },
    fault: 'Network config error: The MAC address is already in use: 06:00:AC:10:00:02',
  },
  {
    name: 'vsock CID below 3',
    method: 'PUT',
    path: '/vsock',
    body: { guest_cid: 2, uds_path: join(dir, 'v.sock') },
    fault: /invalid value: integer `2`, expected u32 >= 3/,
  },
  {
    name: 'logger with unknown level',
    method: 'PUT',
    path: '/logger',
    body: { level: 'Loud' },
    fault: /unknown variant `Loud`/,
  },
  {
    name: 'log file does not exist',
    method: 'PUT',
    path: '/logger',
    body: { log_path: join(dir, 'missing.log') },
    fault: 'Logger error: Failed to open target file: No such file or directory (os error 2)',
  },
  {
    name: 'metrics without metrics_path',
    method: 'PUT',
    path: '/metrics',
    body: {},
    fault: /missing field `metrics_path`/,
  },
  {
    name: 'unknown action',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'Reboot' },
    fault: /unknown variant `Reboot`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel`/,
  },
  {
    name: 'action with an extra field',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'InstanceStart', force: true },
    fault: /unknown field `force`, expected `action_type`/,
  },
  {
    name: 'InstanceStart without boot source',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'InstanceStart' },
    fault: 'Start microvm error: Cannot start microvm without kernel configuration.',
  },
  {
    name: 'SendCtrlAltDel before boot',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'SendCtrlAltDel' },
    fault: BEFORE,
  },
  {
    name: 'FlushMetrics before boot',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'FlushMetrics' },
    fault: BEFORE,
  },
  {
    name: 'post-boot PATCH of a drive before boot',
    method: 'PATCH',
    path: '/drives/rootfs',
    body: { drive_id: 'rootfs', path_on_host: rootfs },
    fault: BEFORE,
  },
  { name: 'pause before boot', method: 'PATCH', path: '/vm', body: { state: 'Paused' }, fault: BEFORE },
  {
    name: 'operation the stand-in does not emulate',
    method: 'PUT',
    path: '/balloon',
    body: { amount_mib: 1, deflate_on_oom: true },
    fault:
      'The requested operation is not supported: putBalloon is not emulated by the banger Firecracker stand-in.',
  },
];

// Pre-boot-only calls after InstanceStart, with valid bodies.
const postBoot: Case[] = [
  {
    name: 'machine-config',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 2, mem_size_mib: 256 },
    fault: AFTER,
  },
  {
    name: 'PATCH machine-config',
    method: 'PATCH',
    path: '/machine-config',
    body: { vcpu_count: 2 },
    fault: AFTER,
  },
  {
    name: 'boot-source',
    method: 'PUT',
    path: '/boot-source',
    body: { kernel_image_path: kernel },
    fault: AFTER,
  },
  {
    name: 'drive',
    method: 'PUT',
    path: '/drives/data',
    body: { drive_id: 'data', path_on_host: data, is_root_device: false },
    fault: AFTER,
  },
  {
    name: 'network interface',
    method: 'PUT',
    path: '/network-interfaces/eth1',
    body: { iface_id: 'eth1', host_dev_name: 'tap1' },
    fault: AFTER,
  },
  { name: 'logger', method: 'PUT', path: '/logger', body: { level: 'Debug' }, fault: AFTER },
  {
    name: 'vsock',
    method: 'PUT',
    path: '/vsock',
    body: { guest_cid: 3, uds_path: join(dir, 'v.sock') },
    fault: AFTER,
  },
  {
    name: 'serial',
    method: 'PUT',
    path: '/serial',
    body: { serial_out_path: join(dir, 'serial.log') },
    fault: AFTER,
  },
  {
    name: 'InstanceStart again',
    method: 'PUT',
    path: '/actions',
    body: { action_type: 'InstanceStart' },
    fault: AFTER,
  },
  // Firecracker parses the body before it asks the VMM, so a bad body still gets the parse error.
  {
    name: 'bad body after boot',
    method: 'PUT',
    path: '/machine-config',
    body: { vcpu_count: 2 },
    fault: /missing field `mem_size_mib`/,
  },
];

let fc: StandinProcess;

afterAll(() => {
  fc?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('firecracker stand-in API (no guest)', () => {
  beforeAll(async () => {
    fc = await spawnStandin({ dir, args: ['--no-guest', '--id', 'api-test'] });
    const root = await fc.api('PUT', '/drives/rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: false,
    });
    expect(root.status).toBe(204);
    const net = await fc.api('PUT', '/network-interfaces/eth0', {
      iface_id: 'eth0',
      host_dev_name: 'tap0',
      guest_mac: '06:00:AC:10:00:02',
    });
    expect(net.status).toBe(204);
  });

  it('answers GET / and GET /version like Firecracker', async () => {
    expect(await fc.api('GET', '/')).toEqual({
      status: 200,
      body: { id: 'api-test', state: 'Not started', vmm_version: '1.16.1', app_name: 'Firecracker' },
    });
    expect(await fc.api('GET', '/version')).toEqual({ status: 200, body: { firecracker_version: '1.16.1' } });
    // Firecracker's default machine: 1 vCPU, 128 MiB.
    expect(await fc.api('GET', '/machine-config')).toEqual({
      status: 200,
      body: { vcpu_count: 1, mem_size_mib: 128, smt: false, track_dirty_pages: false, huge_pages: 'None' },
    });
  });

  it.each(preBoot)('refuses before boot: $name', async (c) => {
    const res = await fc.api(c.method, c.path, c.body);
    expect(res.status).toBe(400);
    const fault = (res.body as { fault_message: string }).fault_message;
    if (typeof c.fault === 'string') expect(fault).toBe(c.fault);
    else expect(fault).toMatch(c.fault);
  });

  it('has at least 20 distinct invalid requests', () => {
    expect(preBoot.length + postBoot.length).toBeGreaterThanOrEqual(20);
  });

  it('accepts a valid configuration and reports it in GET /vm/config, root drive first', async () => {
    const ok = async (method: string, path: string, body: unknown) =>
      expect((await fc.api(method, path, body)).status).toBe(204);
    await ok('PUT', '/logger', { log_path: logFile, level: 'debug', show_level: true });
    await ok('PUT', '/machine-config', { vcpu_count: 2, mem_size_mib: 256 });
    await ok('PATCH', '/machine-config', { mem_size_mib: 512 });
    await ok('PUT', '/boot-source', {
      kernel_image_path: kernel,
      boot_args: 'console=ttyS0',
      initrd_path: null,
    });
    await ok('PUT', '/drives/data', {
      drive_id: 'data',
      path_on_host: data,
      is_root_device: false,
      is_read_only: true,
    });
    await ok('PUT', '/vsock', { guest_cid: 3, uds_path: join(dir, 'v.sock') });
    const config = (await fc.api('GET', '/vm/config')).body as Record<string, unknown>;
    expect(config['machine-config']).toMatchObject({ vcpu_count: 2, mem_size_mib: 512 });
    expect(config['boot-source']).toEqual({
      kernel_image_path: kernel,
      initrd_path: null,
      boot_args: 'console=ttyS0',
    });
    expect((config.drives as { drive_id: string }[]).map((d) => d.drive_id)).toEqual(['rootfs', 'data']);
    expect(config['network-interfaces']).toEqual([
      {
        iface_id: 'eth0',
        host_dev_name: 'tap0',
        guest_mac: '06:00:AC:10:00:02',
        rx_rate_limiter: null,
        tx_rate_limiter: null,
      },
    ]);
    expect(config.vsock).toEqual({ guest_cid: 3, uds_path: join(dir, 'v.sock') });
  });

  it('starts and reports Running', async () => {
    expect((await fc.api('PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
    expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');
  });

  it.each(postBoot)('refuses after boot: $name', async (c) => {
    const res = await fc.api(c.method, c.path, c.body);
    expect(res.status).toBe(400);
    const fault = (res.body as { fault_message: string }).fault_message;
    if (typeof c.fault === 'string') expect(fault).toBe(c.fault);
    else expect(fault).toMatch(c.fault);
  });

  it('allows the post-boot operations', async () => {
    expect((await fc.api('PATCH', '/drives/data', { drive_id: 'data', path_on_host: rootfs })).status).toBe(
      204,
    );
    expect((await fc.api('PUT', '/actions', { action_type: 'FlushMetrics' })).status).toBe(204);
    expect((await fc.api('PATCH', '/vm', { state: 'Paused' })).status).toBe(204);
    expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Paused');
    expect((await fc.api('PATCH', '/vm', { state: 'Resumed' })).status).toBe(204);
    expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');
  });

  it('wrote its log to the configured file', () => {
    expect(readFileSync(logFile, 'utf8')).toContain(
      '[api-test:fc_api:INFO] The API server received a PUT request on "/actions"',
    );
  });

  it('exits 0 on SendCtrlAltDel, like a guest that powered off', async () => {
    expect((await fc.api('PUT', '/actions', { action_type: 'SendCtrlAltDel' })).status).toBe(204);
    expect(await fc.exited).toEqual({ code: 0, signal: null });
    // The log moved to the file configured through PUT /logger.
    expect(readFileSync(logFile, 'utf8')).toContain(
      '[api-test:main:INFO] Firecracker exiting successfully. exit_code=0',
    );
  });
});
