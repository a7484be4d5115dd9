// The stand-in as a process: Firecracker's command line, exit statuses,
// signals, --config-file, and the API description read at runtime.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSpecPath } from '../../tools/firecracker-standin/spec.js';
import { STANDIN, spawnStandin } from '../support/qemu-standin.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'standin-proc-'));
const SPEC = resolveSpecPath(undefined);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runStandin(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [STANDIN, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('firecracker stand-in process', () => {
  it('prints a Firecracker version >= 1.8 that banger accepts', async () => {
    const r = await runStandin(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Firecracker v1.16.1\n\n');
  });

  it('says in --help that it is not Firecracker', async () => {
    const r = await runStandin(['--help']);
    expect(r.stdout).toContain('STAND-IN, not Firecracker');
  });

  it('rejects unknown arguments with status 153, as Firecracker does', async () => {
    const r = await runStandin(['--api-sock', join(dir, 'x.sock'), '--bogus']);
    expect(r.code).toBe(153);
    expect(r.stdout).toContain("Arguments parsing error: Found argument 'bogus' which wasn't expected");
  });

  it('refuses an API socket path that already exists (exit 1)', async () => {
    const sock = join(dir, 'taken.sock');
    writeFileSync(sock, '');
    const r = await runStandin(['--api-sock', sock, '--no-guest']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `RunWithApiError error: Failed to open the API socket at: ${sock}. Check that it is not already used.`,
    );
    expect(r.stderr).toContain(`Error: RunWithApi(FailedToBindSocket("${sock}"))`);
  });

  it('reads the API description at runtime ($BANGER_FIRECRACKER_API_SPEC)', async () => {
    const changed = join(dir, 'spec.yaml');
    writeFileSync(
      changed,
      readFileSync(SPEC, 'utf8').replace(/^ {2}version: 1\.16\.1$/m, '  version: 1.99.0'),
    );
    const fc = await spawnStandin({
      dir: mkdtempSync(join(dir, 's-')),
      args: ['--no-guest'],
      env: { BANGER_FIRECRACKER_API_SPEC: changed },
    });
    try {
      expect((await fc.api('GET', '/version')).body).toEqual({ firecracker_version: '1.99.0' });
    } finally {
      fc.child.kill('SIGKILL');
    }
    const missing = await runStandin([
      '--api-sock',
      join(dir, 'y.sock'),
      '--api-spec',
      join(dir, 'nope.yaml'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('cannot read the Firecracker API description');
  });

  it('dies of SIGTERM like Firecracker (no handler)', async () => {
    const fc = await spawnStandin({
      dir: mkdtempSync(join(dir, 's-')),
      env: { BANGER_STANDIN_NO_GUEST: '1' },
    });
    fc.child.kill('SIGTERM');
    expect(await fc.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('configures and starts from --config-file, then powers off on SendCtrlAltDel', async () => {
    const sub = mkdtempSync(join(dir, 's-'));
    const kernel = join(sub, 'vmlinux');
    writeFileSync(kernel, 'kernel');
    writeFileSync(join(sub, 'disk'), 'disk');
    const config = {
      'boot-source': { kernel_image_path: kernel, boot_args: 'console=ttyS0' },
      drives: [
        { drive_id: 'rootfs', path_on_host: join(sub, 'disk'), is_root_device: true, is_read_only: true },
      ],
      'machine-config': { vcpu_count: 2, mem_size_mib: 256 },
    };
    writeFileSync(join(sub, 'config.json'), JSON.stringify(config));
    const fc = await spawnStandin({
      dir: sub,
      args: ['--no-guest', '--config-file', join(sub, 'config.json')],
    });
    await fc.waitForOutput('Successfully started microvm', 10_000);
    expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');
    expect(
      ((await fc.api('GET', '/vm/config')).body as Record<string, unknown>)['machine-config'],
    ).toMatchObject({ vcpu_count: 2 });
    expect((await fc.api('PUT', '/actions', { action_type: 'SendCtrlAltDel' })).status).toBe(204);
    expect(await fc.exited).toEqual({ code: 0, signal: null });
  });

  it('fails a --config-file with an unknown field (exit 1)', async () => {
    const sub = mkdtempSync(join(dir, 's-'));
    writeFileSync(
      join(sub, 'config.json'),
      JSON.stringify({ 'machine-config': { vcpu_count: 1, mem_size_mib: 128, turbo: true } }),
    );
    const r = await runStandin([
      '--api-sock',
      join(sub, 'api.sock'),
      '--no-guest',
      '--config-file',
      join(sub, 'config.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Configuration for VMM from one single json failed');
    expect(r.stdout).toContain('unknown field `turbo`');
  });
});
