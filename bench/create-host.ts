// `bench:create --host`: the create benchmark against the user's own installation (their HOME,
// daemon, Firecracker and images), with no test harness. Each run creates a VM of the image
// without waiting, then `vm start` waits for its SSH, then deletes it; on a failure or Ctrl-C
// the VMs it created are deleted before it exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { BANGER } from '../test/support/sandbox.js';
import { BenchError, median, timed, usage } from './stats.js';

export interface HostBenchOptions {
  runs: number;
  image: string;
  /** `--banger PATH`; undefined: `banger` on PATH, else this checkout's dist/banger.js. */
  banger: string | undefined;
  /** Only `vm create --no-wait`: for installations whose VMs never answer SSH (the stand-in's no-guest mode). */
  skipSsh: boolean;
  log: (line: string) => void;
}

interface Run {
  create_ms: number;
  ssh_ready_ms?: number;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The argv prefix that runs the CLI: a .js file through this node, anything else as a program. */
function resolveBanger(flag: string | undefined): string[] {
  if (flag !== undefined) {
    const path = resolve(flag);
    const isScript = /\.[cm]?js$/.test(path);
    try {
      accessSync(path, isScript ? constants.R_OK : constants.X_OK);
    } catch {
      throw usage(`--banger ${flag}: no such ${isScript ? 'file' : 'executable'}`);
    }
    return isScript ? [process.execPath, path] : [path];
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const onPath = dirs.map((d) => join(d, 'banger')).find(executable);
  return onPath ? [onPath] : [process.execPath, BANGER];
}

interface Result {
  status: number | null;
  stderr: string;
}

export async function benchHost(o: HostBenchOptions): Promise<void> {
  const cli = resolveBanger(o.banger);
  const [program, ...prefix] = cli as [string, ...string[]];
  let interrupted = false;
  /** The CLI call in progress; `interruptible` only for `vm start`, whose VM already exists. */
  let current: { child: ChildProcess; interruptible: boolean } | undefined;
  const onSignal = () => {
    interrupted = true;
    if (current?.interruptible) current.child.kill('SIGTERM');
  };

  // Own process group: a Ctrl-C reaches this program only, which decides what to stop.
  const run = (args: string[], interruptible = false) =>
    new Promise<Result>((done, fail) => {
      const child = spawn(program, [...prefix, ...args], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      current = { child, interruptible };
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', fail);
      child.on('close', (status) => {
        current = undefined;
        done({ status, stderr });
      });
    });
  const must = async (args: string[], interruptible = false) => {
    const r = await run(args, interruptible);
    if (interrupted) throw new BenchError('interrupted', 130);
    if (r.status !== 0) {
      // Its error line, not the progress lines before it nor the console tail after it.
      const lines = r.stderr.trim().split('\n');
      const why = (lines.find((l) => l.startsWith('banger: ')) ?? lines.at(-1) ?? '').replace(
        /^banger: /,
        '',
      );
      throw new BenchError(`banger ${args.join(' ')} exited ${r.status}: ${why}`);
    }
  };

  const tag = randomBytes(3).toString('hex');
  const live = new Set<string>();
  const results: Run[] = [];
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let i = 0; i < o.runs; i++) {
      if (interrupted) throw new BenchError('interrupted', 130);
      const name = `bench-${tag}-${i}`;
      live.add(name);
      const started = performance.now();
      const createMs = await timed(() =>
        must(['vm', 'create', '--name', name, '--image', o.image, '--no-wait']),
      );
      const sample: Run = { create_ms: createMs };
      if (!o.skipSsh) {
        o.log(`run ${i + 1}/${o.runs}: created ${name} in ${createMs} ms, waiting for SSH`);
        await must(['vm', 'start', name], true);
        sample.ssh_ready_ms = Math.round(performance.now() - started);
      }
      results.push(sample);
      o.log(
        `run ${i + 1}/${o.runs}: create ${createMs} ms` +
          (sample.ssh_ready_ms === undefined ? '' : `, ssh ready ${sample.ssh_ready_ms} ms`),
      );
      await must(['vm', 'delete', name]);
      live.delete(name);
    }
  } finally {
    // Undo: whatever this run created goes, whether it failed, was interrupted or not.
    for (const name of live) {
      const r = await run(['vm', 'delete', name]);
      if (r.status === 0) o.log(`deleted ${name}`);
      // 4, not found: its create failed and undid itself.
      else if (r.status !== 4) process.stderr.write(`could not delete ${name}: ${r.stderr.trim()}\n`);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const ssh = results.flatMap((r) => (r.ssh_ready_ms === undefined ? [] : [r.ssh_ready_ms]));
  const report = {
    guest: {
      runs: results,
      median_create_ms: median(results.map((r) => r.create_ms)),
      median_ssh_ready_ms: o.skipSsh ? null : median(ssh),
    },
    host: { banger: cli.join(' '), image: o.image, skip_ssh: o.skipSsh },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
