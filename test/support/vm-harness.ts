import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePoolTapName, tapOwnerPrefix } from '../../src/domain/network.js';
import { firecrackerBin } from './firecracker-bin.js';
import { createNetns, destroyNetns, normaliseIptablesSave, type TestNetns } from './netns.js';
import { BANGER, BANGERD } from './sandbox.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * A private banger installation inside a private network namespace: its own
 * HOME (config, state, cache), runtime dir and daemon, the Firecracker
 * stand-in (or $BANGER_E2E_FIRECRACKER, see firecracker-bin.ts) as
 * `firecracker_bin`, and the bridge/TAPs/iptables of that
 * namespace only. Every CLI call runs inside the namespace, so the daemon
 * it auto-starts (and every Firecracker and ssh) does too.
 */
export interface VmHarness {
  root: string;
  home: string;
  netns: TestNetns;
  env: Record<string, string>;
  /** Runs the CLI to completion. */
  banger(
    args: readonly string[],
    opts?: { timeoutMs?: number; input?: string; env?: Record<string, string> },
  ): Promise<CliResult>;
  /** Runs the CLI synchronously (for short calls). */
  bangerSync(args: readonly string[]): CliResult;
  stateDir: string;
  vmsDir: string;
  /** Kills the daemon (SIGKILL), all VMs in the namespace, and removes everything. */
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  label: string;
  /** Extra config.toml lines. */
  config?: string[];
  /** Environment for the CLI and so the daemon and the stand-in (e.g. BANGER_STANDIN_NO_GUEST=1). */
  env?: Record<string, string>;
}

export async function createVmHarness(o: HarnessOptions): Promise<VmHarness> {
  const fcBin = firecrackerBin(); // first: it may refuse (no KVM), and nothing exists yet
  const netns = await createNetns(o.label);
  const root = mkdtempSync(join(tmpdir(), `banger-e2e-${o.label}-`));
  const home = join(root, 'home');
  mkdirSync(join(home, '.config', 'banger'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'banger', 'config.toml'),
    [
      `firecracker_bin = ${JSON.stringify(fcBin)}`,
      // The default DNS port is free: the daemon runs in the test's own network namespace.
      'tap_pool_size = 2',
      ...(o.config ?? []),
      '',
    ].join('\n'),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: join(root, 'run'),
    BANGER_DAEMON_BIN: BANGERD,
    // The stand-in's KVM probe can pass on hosts whose KVM still cannot run a real guest; TCG always works.
    BANGER_STANDIN_ACCEL: process.env.BANGER_STANDIN_ACCEL ?? 'tcg',
    // Where CI put Firecracker's API description when it is not next to the repository.
    ...(process.env.BANGER_FIRECRACKER_API_SPEC
      ? { BANGER_FIRECRACKER_API_SPEC: process.env.BANGER_FIRECRACKER_API_SPEC }
      : {}),
    ...(o.env ?? {}),
  };
  const argv = (args: readonly string[]) => ['netns', 'exec', netns.name, process.execPath, BANGER, ...args];
  const stateDir = join(home, '.local', 'state', 'banger');
  const harness: VmHarness = {
    root,
    home,
    netns,
    env,
    stateDir,
    vmsDir: join(stateDir, 'vms'),
    banger: (args, opts = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn('ip', argv(args), {
          env: { ...env, ...opts.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ status: code ?? -1, stdout, stderr });
        });
        child.stdin.end(opts.input ?? '');
      }),
    bangerSync: (args) => {
      const r = spawnSync('ip', argv(args), { env, encoding: 'utf8', timeout: 120_000 });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    cleanup: async () => {
      // Everything banger started lives in the namespace: destroying it kills daemon and VMs.
      await destroyNetns(netns.name);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Parses `--json` output, failing with the CLI's stderr when it is not JSON. */
export function json<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`expected JSON (exit ${r.status}); stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** Files and directories under `dir`, relative, sorted (for "nothing left behind" checks). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      out.push(`${prefix}${name}`);
      walk(join(d, name), `${prefix}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

/** Registers the golden image (built once per machine, see golden-image.ts) under `name`. */
export async function registerGoldenImage(h: VmHarness, name: string): Promise<void> {
  const { goldenImage } = await import('./golden-image.js');
  const golden = await goldenImage();
  await mustRun(h, [
    'image',
    'register',
    name,
    '--rootfs',
    golden.rootfs,
    '--work-seed',
    golden.workSeed,
    '--kernel',
    join(golden.kernelDir, 'vmlinux'),
    '--initrd',
    join(golden.kernelDir, 'initrd.img'),
  ]);
}

/** Registers an image of placeholder files under `name`: enough for the stand-in's no-guest mode, which only opens them. */
export async function registerPlaceholderImage(h: VmHarness, name: string): Promise<void> {
  const dir = join(h.root, `artifacts-${name}`);
  mkdirSync(dir);
  execFileSync('mkfs.ext4', ['-q', '-F', join(dir, 'rootfs.ext4'), '64M']);
  writeFileSync(join(dir, 'vmlinux'), 'not a kernel');
  writeFileSync(join(dir, 'initrd.img'), 'not an initrd');
  await mustRun(h, [
    'image',
    'register',
    name,
    '--rootfs',
    join(dir, 'rootfs.ext4'),
    '--kernel',
    join(dir, 'vmlinux'),
    '--initrd',
    join(dir, 'initrd.img'),
  ]);
}

/**
 * A harness whose VMs run no guest (the stand-in's no-guest mode), small
 * disks and memory, and a placeholder image named `test-image`.
 */
export async function createNoGuestHarness(label: string, topLevelConfig: string[] = []): Promise<VmHarness> {
  const h = await createVmHarness({
    label,
    env: { BANGER_STANDIN_NO_GUEST: '1' },
    config: [
      ...topLevelConfig,
      'system_overlay_size = "256M"',
      '[vm_defaults]',
      'disk_size = "256M"',
      'memory_mib = 256',
    ],
  });
  await registerPlaceholderImage(h, 'test-image');
  return h;
}

/** Runs the CLI and throws with its stderr unless it exits 0. */
export async function mustRun(h: VmHarness, args: string[], timeoutMs = 600_000): Promise<CliResult> {
  const r = await h.banger(args, { timeoutMs });
  if (r.status !== 0) throw new Error(`banger ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

/**
 * A namespace's iptables rules and non-built-in chains, for "left exactly as
 * before" checks of VM operations: tables that merely got loaded (empty)
 * do not count, nor the bridge's own `banger:dns` redirect, which belongs
 * to the bridge and stays while VMs come and go.
 */
export async function vmIptables(h: VmHarness): Promise<string> {
  const saved = (await h.netns.sh('iptables-save')).stdout;
  return normaliseIptablesSave(saved)
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('-A') ||
        (l.startsWith(':') && !/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) /.test(l)),
    )
    .filter((l) => !l.includes('"banger:dns"'))
    .join('\n');
}

/** The link name of an `ip -o link show` line (`12: bg0-1a2b@NONE: <...>` → `bg0-1a2b`). */
function linkName(line: string): string | undefined {
  return /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
}

/** True for an `ip -o link show` line of one of this user's idle pool TAPs (capacity, not a VM's). */
export function isPoolTapLine(line: string): boolean {
  const name = linkName(line);
  return name !== undefined && parsePoolTapName(name, process.getuid?.() ?? 0) !== undefined;
}

/** The `ip -o link show` lines of the VMs' TAPs in the namespace: this user's TAPs minus the pool's. */
export async function vmTapLines(h: VmHarness): Promise<string[]> {
  const prefix = tapOwnerPrefix(process.getuid?.() ?? 0);
  return (await h.netns.sh('ip -o link show')).stdout
    .split('\n')
    .filter((l) => linkName(l)?.startsWith(prefix) && !isPoolTapLine(l));
}
