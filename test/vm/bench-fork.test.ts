import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../bench/daemon-log.js';
import {
  bootedCold,
  type ForkBenchResults,
  forkReport,
  forkStages,
  forkTable,
  parseForkArgs,
  poolReadyLines,
  poolRefusal,
} from '../../bench/fork-report.js';
import { BenchError } from '../../bench/stats.js';
import { REPO } from '../support/sandbox.js';
import { createVmHarness } from '../support/vm-harness.js';

/**
 * `npm run bench:fork`'s command line and pure helpers, without a guest: the
 * benchmark itself boots golden guests for minutes (run it by hand). One check
 * starts a daemon (no guest) to see how a refused config key reaches the CLI.
 */

const step = (operation: string, name: string, ms: number, time = 0): LogRecord => ({
  time,
  msg: 'step done',
  operation,
  step: name,
  ms,
});

describe('parseForkArgs', () => {
  it('defaults to three runs, a 180 s pool wait, progress on stderr', () => {
    expect(parseForkArgs([])).toEqual({ runs: 3, poolTimeoutMs: 180_000, json: false, help: false });
    expect(parseForkArgs(['--runs', '5', '--pool-timeout', '30', '--json'])).toEqual({
      runs: 5,
      poolTimeoutMs: 30_000,
      json: true,
      help: false,
    });
    expect(parseForkArgs(['--help']).help).toBe(true);
  });

  it.each([
    [['--runs', '0'], /--runs must be a whole number/],
    [['--runs', 'x'], /--runs must be a whole number/],
    [['--pool-timeout', '-1'], /--pool-timeout/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j with a usage error (exit 2)', (args, message) => {
    let error: unknown;
    try {
      parseForkArgs(args);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BenchError);
    expect((error as BenchError).exitCode).toBe(2);
    expect((error as BenchError).message).toMatch(message);
  });
});

describe('forkStages', () => {
  it('tells the capture of a running source from the new VM’s steps (both have disks)', () => {
    const records: LogRecord[] = [
      step('create', 'disks', 999), // another operation's line
      ...['stage', 'pause', 'memory', 'disks', 'resume'].map((s, i) => step('fork', s, i + 1)),
      ...['reserve', 'directory', 'ssh-keys', 'disks', 'network', 'firecracker', 'identity'].map((s, i) =>
        step('fork', s, 10 * (i + 1)),
      ),
      { time: 0, msg: 'guest ready', ms: 321 },
    ];
    expect(forkStages(records)).toEqual({
      capture: { stage: 1, pause: 2, memory: 3, disks: 4, resume: 5 },
      fork: {
        reserve: 10,
        directory: 20,
        'ssh-keys': 30,
        disks: 40,
        network: 50,
        firecracker: 60,
        identity: 70,
      },
      capture_ms: 15,
      fork_steps_ms: 280,
      guest_ready_ms: 321,
    });
  });

  it('a fork of a snapshot has no capture; no ready line is null', () => {
    const s = forkStages([step('fork', 'reserve', 1), step('fork', 'disks', 7)]);
    expect(s).toMatchObject({
      capture: {},
      fork: { reserve: 1, disks: 7 },
      capture_ms: 0,
      guest_ready_ms: null,
    });
  });
});

describe('the pool from the daemon’s log and errors', () => {
  it('bootedCold: a create whose VMM started; a fork’s (the refill) does not count', () => {
    expect(bootedCold([step('create', 'reserve', 1), step('create', 'firecracker', 300)])).toBe(true);
    expect(bootedCold([step('fork', 'firecracker', 300), step('create', 'reserve', 1)])).toBe(false);
  });

  it('poolReadyLines counts the pool’s ready VMs only', () => {
    const r = (msg: string): LogRecord => ({ time: 0, msg });
    expect(poolReadyLines([r('warm pool: VM ready'), r('guest ready'), r('warm pool: VM taken')])).toBe(1);
  });

  it('poolRefusal finds the line that refuses warm_pool_size, not another failure', () => {
    const refused =
      'banger: /h/.config/banger/config.toml:1: warm_pool_size: unknown key; see the README for the list of config keys';
    expect(poolRefusal(`starting bangerd\n${refused}\n`)).toBe(refused);
    expect(poolRefusal('banger: bangerd did not start: address in use')).toBeUndefined();
  });

  it('how the CLI reports a key the daemon refuses at its start is what poolRefusal reads', {
    timeout: 120_000,
  }, async () => {
    // `warm_pool_sizes` is unknown to every daemon; its name contains the one poolRefusal looks for.
    const h = await createVmHarness({
      label: 'benchfork',
      env: { BANGER_STANDIN_NO_GUEST: '1' },
      config: ['warm_pool_sizes = 1'],
    });
    try {
      const r = await h.banger(['vm', 'list', '--json']);
      expect(r.status).not.toBe(0);
      expect(poolRefusal(r.stderr)).toMatch(/warm_pool_sizes: unknown key/);
    } finally {
      await h.cleanup();
    }
  });
});

describe('forkReport', () => {
  const results: ForkBenchResults = {
    source_boot_ms: 10_000,
    snapshot_ms: 4000,
    cold: [10_000, 12_000, 11_000].map((ms) => ({ ms, ssh_true_ms: 1000, teardown_ms: 500 })),
    fork_vm: [2000, 3000, 2200].map((ms) => ({
      ms,
      ssh_true_ms: 1000,
      teardown_ms: 500,
      stages: forkStages([step('fork', 'pause', 5), step('fork', 'reserve', 1)]),
    })),
    fork_snap: [1100, 1000, 1200].map((ms) => ({
      ms,
      ssh_true_ms: 1000,
      teardown_ms: 500,
      stages: forkStages([step('fork', 'reserve', 1)]),
    })),
    run_cold: [15_000].map((ms) => ({ ms, teardown_ms: 400 })),
    pool: { reason: 'this daemon has no warm pool: warm_pool_size: unknown key' },
  };

  it('medians and fork/cold ratios; no pool is null with its reason', () => {
    const r = forkReport(results);
    expect(r.cold.median_ms).toBe(11_000);
    expect(r.fork_vm.median_ms).toBe(2200);
    expect(r.fork_vm.median_capture_steps).toEqual({ pause: 5 });
    expect(r.fork_snap.median_capture_steps).toEqual({});
    expect(r.ratios).toEqual({
      target: 0.2,
      fork_vm_over_cold: 0.2,
      fork_snap_over_cold: 0.1,
      fork_vm_over_cold_with_ssh: 0.267, // 3200 / 12000
      fork_snap_over_cold_with_ssh: 0.175, // 2100 / 12000
    });
    expect(r.vm_run).toEqual({
      cold: { runs: results.run_cold, median_ms: 15_000, median_teardown_ms: 400 },
      warm: null,
      warm_reason: 'this daemon has no warm pool: warm_pool_size: unknown key',
      warm_over_cold: null,
      kvm_target_warm_ms: 300,
    });
    expect(forkTable(r)).toMatch(/vm run -- true \(warm pool\)\s+- ms {2}this daemon has no warm pool/);
  });

  it('a measured pool: its median against the cold vm run', () => {
    const pool = {
      warm_pool_size: 1,
      fill_ms: 20_000,
      runs: [
        { ms: 3000, took_pool_vm: true, refill_ms: 9000, teardown_ms: 300 },
        { ms: 3000, took_pool_vm: true, refill_ms: null, teardown_ms: 300 },
      ],
    };
    const r = forkReport({ ...results, pool });
    expect(r.vm_run.warm).toMatchObject({ median_ms: 3000, all_took_pool_vm: true, median_refill_ms: 9000 });
    expect(r.vm_run.warm_over_cold).toBe(0.2);
    expect(r.vm_run).not.toHaveProperty('warm_reason');
  });
});

describe('npm run bench:fork', () => {
  it('bad arguments end with one line and exit 2 before any harness exists', () => {
    const script: string = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts['bench:fork'];
    const build = spawnSync('sh', ['-c', script.split(' && node ')[0]!], {
      cwd: REPO,
      env: { ...process.env, PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
    const bench = join(REPO, 'dist', 'bench', 'fork.js');
    const r = spawnSync(process.execPath, [bench, '--runs', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('bench:fork: --runs must be a whole number from 1 to 999999, got "0"\n');
    const help = spawnSync(process.execPath, [bench, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench:fork/);
  });
});
