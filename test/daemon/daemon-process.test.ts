import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/host/paths.js';
import { openDatabase } from '../../src/store/db.js';
import { VmRepository } from '../../src/store/vm-repository.js';
import { BANGERD, createSandbox, type Sandbox } from '../support/sandbox.js';

let sb: Sandbox;
beforeEach(() => {
  sb = createSandbox();
});
afterEach(() => sb.cleanup());

const socketOf = (s: Sandbox) => join(s.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.sock');
const mode = (p: string) => statSync(p).mode & 0o777;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function statusJson(s: Sandbox): { pid: number; socket: string; version: string; uptimeSeconds: number } {
  const r = s.banger(['daemon', 'status', '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('bangerd as a process', () => {
  it('is auto-started by daemon status and stopped by daemon stop', () => {
    const status = statusJson(sb);
    expect(status.socket).toBe(socketOf(sb));
    expect(alive(status.pid)).toBe(true);
    const text = sb.banger(['daemon', 'status']);
    expect(text.stdout).toMatch(/^pid: +\d+$/m);
    expect(text.stdout).toMatch(/^dns: +127\.0\.0\.1:\d+$/m);

    const stop = sb.banger(['daemon', 'stop']);
    expect(stop.status).toBe(0);
    expect(alive(status.pid)).toBe(false);
    expect(existsSync(socketOf(sb))).toBe(false);
  });

  it('prints the socket path without starting the daemon', () => {
    const r = sb.banger(['daemon', 'socket']);
    expect(r.stdout.trim()).toBe(socketOf(sb));
    expect(existsSync(socketOf(sb))).toBe(false);
  });

  it('starts a fresh daemon after kill -9, replacing the stale socket', () => {
    const first = statusJson(sb);
    process.kill(first.pid, 'SIGKILL');
    spawnSync('sleep', ['0.2']);
    expect(existsSync(socketOf(sb))).toBe(true); // stale socket left behind
    // Nothing listens behind it: stop says so, and starts nothing.
    const stop = sb.banger(['daemon', 'stop']);
    expect([stop.status, stop.stderr]).toEqual([0, 'bangerd is not running\n']);
    const second = statusJson(sb);
    expect(second.pid).not.toBe(first.pid);
    expect(alive(second.pid)).toBe(true);
  });

  it('refuses a second daemon started by hand and leaves the first untouched', () => {
    const first = statusJson(sb);
    const second = spawnSync(process.execPath, [BANGERD], { env: sb.env, encoding: 'utf8', timeout: 30_000 });
    expect(second.status).toBe(5);
    expect(second.stderr.trim()).toBe(
      `bangerd: bangerd is already running (pid ${first.pid}); use \`banger daemon stop\` to stop it`,
    );
    const again = statusJson(sb);
    expect(again.pid).toBe(first.pid);
  });

  it('keeps the socket 0600 and directories 0700 under umask 000', async () => {
    const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${BANGERD}"`], {
      env: sb.env,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 15_000;
    while (!existsSync(socketOf(sb)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    statusJson(sb); // answers
    expect(mode(socketOf(sb))).toBe(0o600);
    expect(mode(join(sb.env.XDG_RUNTIME_DIR!, 'banger'))).toBe(0o700);
    const state = join(sb.env.HOME!, '.local', 'state', 'banger');
    expect(mode(state)).toBe(0o700);
    for (const f of ['bangerd.log', 'state.db', 'bangerd.lock']) expect(mode(join(state, f))).toBe(0o600);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(socketOf(sb))).toBe(false);
  });

  it('uses a private per-uid directory when XDG_RUNTIME_DIR is unset', () => {
    const r = sb.banger(['daemon', 'status', '--json'], { XDG_RUNTIME_DIR: '' });
    expect(r.status).toBe(0);
    const status = JSON.parse(r.stdout) as { socket: string; pid: number };
    expect(status.socket).toBe(`/tmp/banger-${process.getuid!()}/bangerd.sock`);
    expect(mode(`/tmp/banger-${process.getuid!()}`)).toBe(0o700);
    sb.banger(['daemon', 'stop'], { XDG_RUNTIME_DIR: '' });
  });

  it('reports a broken config in one line with file, line and key, and starts nothing', () => {
    const configDir = join(sb.env.HOME!, '.config', 'banger');
    mkdirSync(configDir, { recursive: true });
    const file = join(configDir, 'config.toml');
    writeFileSync(file, 'log_level = "info"\n\n[vm_defaults]\nmemory_mib = "lots"\n');
    const r = sb.banger(['daemon', 'status']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^banger: ${file}:4: vm_defaults\\.memory_mib: .*\\n$`));
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(existsSync(socketOf(sb))).toBe(false);

    writeFileSync(file, 'bridge_nmae = "br0"\n');
    const typo = sb.banger(['daemon', 'status']);
    expect(typo.status).toBe(3);
    expect(typo.stderr).toBe(
      `banger: ${file}:1: bridge_nmae: unknown key; see the README for the list of config keys\n`,
    );
    expect(existsSync(socketOf(sb))).toBe(false);
  });

  it('writes a JSON-lines log at the configured level', () => {
    const logFile = join(sb.env.HOME!, '.local', 'state', 'banger', 'bangerd.log');
    /** The entries one daemon process wrote (the file is appended to across restarts). */
    const entries = (pid: number) =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; level: number; pid: number })
        .filter((e) => e.pid === pid);
    // pino's levels: 20 debug, 30 info, 40 warn.
    const atInfo = entries(statusJson(sb).pid);
    expect(atInfo.find((e) => e.msg === 'bangerd started')?.level).toBe(30);
    expect(atInfo.filter((e) => e.level < 30)).toEqual([]);

    expect(sb.banger(['daemon', 'stop']).status).toBe(0);
    const config = join(sb.env.HOME!, '.config', 'banger', 'config.toml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}log_level = "warn"\n`);
    const atWarn = entries(statusJson(sb).pid);
    expect(atWarn.filter((e) => e.level < 40)).toEqual([]);
  });
});

describe('the .vm DNS server in the daemon', () => {
  it('answers for VMs in the store, NXDOMAIN for unknown names, REFUSED outside the zone', () => {
    const status = statusJson(sb) as unknown as { dnsListenAddr: string };
    const port = status.dnsListenAddr.split(':')[1]!;
    const db = openDatabase(join(sb.env.HOME!, '.local', 'state', 'banger', 'state.db'));
    new VmRepository(db).create(
      {
        id: 'feedfacefeedface',
        name: 'box',
        image: 'img',
        vcpu: 1,
        memoryMib: 256,
        diskBytes: 1024 ** 3,
        nat: false,
      },
      { cidr: '172.16.0.0/24', gateway: '172.16.0.1' },
    );
    db.close();
    const dig = (name: string) =>
      spawnSync('dig', ['+short', '+time=2', '+tries=1', '@127.0.0.1', '-p', port, name], {
        encoding: 'utf8',
      }).stdout.trim();
    const digStatus = (name: string) =>
      /status: (\w+)/.exec(
        spawnSync('dig', ['+time=2', '+tries=1', '@127.0.0.1', '-p', port, name], { encoding: 'utf8' })
          .stdout,
      )?.[1];
    expect(dig('box.vm')).toBe('172.16.0.2');
    expect(dig('BOX.vm')).toBe('172.16.0.2');
    expect(digStatus('nothere.vm')).toBe('NXDOMAIN');
    expect(digStatus('example.com')).toBe('REFUSED');
  });
});

describe('vm create without Firecracker', () => {
  it('fails at once with exit 6 and the fix, before building the default image', () => {
    const r = sb.banger(['vm', 'create', '--no-wait'], { PATH: '/usr/bin:/bin' });
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(
      /^banger: firecracker is not on PATH; install Firecracker ≥ 1\.8 or set firecracker_bin in config\.toml \(no KVM here\? docs\/without-kvm\.md shows how to try banger under emulation\)$/m,
    );
    // Only the spec line came before: no image stage, and nothing under the images directory.
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^spec: /),
      expect.stringMatching(/^banger: /),
    ]);
    const images = resolvePaths(sb.env).imagesDir;
    expect(existsSync(images) ? readdirSync(images) : []).toEqual([]);
  });
});

describe('image catalog', () => {
  it('image list --available names debian-bookworm, not yet present, built by the recipe', () => {
    const text = sb.banger(['image', 'list', '--available']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^NAME +PRESENT +HOW +DESCRIPTION$/m);
    expect(text.stdout).toMatch(/^debian-bookworm +no +build +Debian 12 \(bookworm\)/m);
    const json = JSON.parse(sb.banger(['image', 'list', '--available', '--json']).stdout);
    expect(json).toEqual([
      expect.objectContaining({ name: 'debian-bookworm', how: 'build', present: false }),
    ]);
  });
});

describe('banger doctor', () => {
  it('fails without Firecracker, with a fix line, and --json carries the same checks', () => {
    const text = sb.banger(['doctor'], { PATH: '/usr/bin:/bin' });
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/✗ Firecracker ≥ 1\.8 +firecracker is not on PATH/);
    expect(text.stdout).toMatch(/fix: install Firecracker/);
    const json = sb.banger(['doctor', '--json'], { PATH: '/usr/bin:/bin' });
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      checks: { id: string; status: string; fix?: string }[];
    };
    expect(report.ok).toBe(false);
    const fc = report.checks.find((c) => c.id === 'firecracker');
    expect(fc?.status).toBe('fail');
    expect(fc?.fix).toMatch(/firecracker_bin/);
    const titles = text.stdout.split('\n').filter((l) => /^[✓!✗] /.test(l));
    expect(titles).toHaveLength(report.checks.length);
    expect(report.checks.find((c) => c.id === 'daemon')?.status).toBe('pass');
  });
});

describe('CLI usage errors', () => {
  it('exit 2 with one line for an unknown command', () => {
    const r = sb.banger(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toBe("error: unknown command 'frobnicate'");
  });
});
