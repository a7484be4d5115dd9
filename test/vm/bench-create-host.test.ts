import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { BANGER, REPO } from '../support/sandbox.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';

/**
 * `npm run bench:create -- --host`: the benchmark against an installation of
 * the user's own, not a harness of its own. Here that installation is a
 * private HOME, daemon and namespace with the no-guest stand-in (whose VMs
 * never answer SSH); the bench runs in it as a user would run it in theirs.
 */

const BENCH = join(REPO, 'dist', 'bench', 'create.js');

let h: VmHarness;

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The bench, started inside the installation's namespace with its environment. */
function startBench(args: string[], env: Record<string, string> = {}) {
  const child = spawn('ip', ['netns', 'exec', h.netns.name, process.execPath, BENCH, ...args], {
    env: { ...h.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const finished = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, ...out }));
  });
  return { child, out, finished };
}

const vmNames = async () => json<VmView[]>(await mustRun(h, ['vm', 'list', '--json'])).map((v) => v.name);

beforeAll(async () => {
  // The bundling half of package.json's bench:create script, so the test runs what `npm run` builds.
  const script: string = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts['bench:create'];
  const build = spawnSync('sh', ['-c', script.split(' && node ')[0]!], {
    cwd: REPO,
    env: { ...process.env, PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  expect(build.status, build.stderr).toBe(0);
  h = await createNoGuestHarness('benchhost');
});

afterAll(async () => {
  await h?.cleanup();
});

describe('bench:create --host', () => {
  it('times creates through the banger on PATH and leaves no VM', async () => {
    // A `banger` on PATH, found by the bench as a user's would be.
    const bin = join(h.root, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'banger'), `#!/bin/sh\nexec "${process.execPath}" "${BANGER}" "$@"\n`, {
      mode: 0o755,
    });
    const { finished } = startBench(
      ['--host', '--runs', '1', '--image', 'test-image', '--skip-ssh', '--json'],
      {
        PATH: `${bin}:${h.env.PATH}`,
      },
    );
    const r = await finished;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // --json: no progress lines
    const report = JSON.parse(r.stdout);
    expect(report.guest.runs).toHaveLength(1);
    expect(report.guest.runs[0].create_ms).toBeGreaterThan(0);
    expect(report.guest.runs[0].ssh_ready_ms).toBeUndefined();
    expect(report.guest.median_create_ms).toBe(report.guest.runs[0].create_ms);
    expect(report.guest.median_ssh_ready_ms).toBeNull();
    expect(report.host).toEqual({ banger: join(bin, 'banger'), image: 'test-image', skip_ssh: true });
    expect(await vmNames()).toEqual([]);
  });

  it('Ctrl-C while waiting for SSH deletes the VM it created and exits 130', async () => {
    const bench = startBench(['--host', '--runs', '2', '--image', 'test-image', '--banger', BANGER]);
    const deadline = Date.now() + 60_000;
    while (!bench.out.stderr.includes('waiting for SSH') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(bench.out.stderr).toMatch(/^run 1\/2: created (bench-[0-9a-f]{6}-0) in \d+ ms, waiting for SSH$/m);
    const name = /created (\S+)/.exec(bench.out.stderr)![1]!;
    expect(await vmNames()).toEqual([name]);
    // `ip netns exec` execs the bench: the signal reaches it, not the CLI it runs (its own process group).
    bench.child.kill('SIGINT');
    const r = await bench.finished;
    expect(r.status, r.stderr).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n').slice(-2)).toEqual([`deleted ${name}`, 'bench:create: interrupted']);
    expect(await vmNames()).toEqual([]);
  });

  it('a failed run (SSH never answers) deletes its VM and ends with one line', async () => {
    // The daemon reads its SSH wait from the environment it starts with.
    await mustRun(h, ['daemon', 'stop']);
    try {
      const { finished } = startBench(
        ['--host', '--runs', '2', '--image', 'test-image', '--banger', BANGER],
        {
          BANGER_READY_TIMEOUT_MS: '1000',
        },
      );
      const r = await finished;
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(
        /^bench:create: banger vm start bench-[0-9a-f]{6}-0 exited 9: .*did not answer on SSH/,
      );
      expect(lines.at(-2)).toMatch(/^deleted bench-[0-9a-f]{6}-0$/);
      expect(await vmNames()).toEqual([]);
    } finally {
      await mustRun(h, ['daemon', 'stop']);
    }
  });

  it('bad input: one line, exit 2, nothing created', async () => {
    const cases: [string[], RegExp][] = [
      [['--host', '--runs', '0', '--image', 'test-image'], /--runs must be a whole number .*got "0"/],
      [['--host', '--runs', 'abc', '--image', 'test-image'], /--runs must be a whole number .*got "abc"/],
      [['--host', '--runs', '1'], /--host needs --image NAME/],
      [['--host', '--image', 'test-image', '--banger', '/nonexistent/banger'], /--banger \/nonexistent/],
      [['--host', '--image', 'test-image', '--skip-guest'], /--skip-guest is for the harness mode/],
      [['--image', 'test-image'], /--image needs --host/],
      [['--runs', 'abc'], /--runs must be a whole number/],
      [['--no-guest-runs', '1.5'], /--no-guest-runs must be a whole number/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await startBench(args).finished;
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(/^bench:create: /)]);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(await vmNames()).toEqual([]);
  });
});
