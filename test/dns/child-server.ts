/** Starts test/dns/fixtures/serve.ts in a child process (bundled with esbuild) for crash/stall detection. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { DnsStats } from '../../src/host/dns/index.js';

export interface ChildServer {
  port: number;
  /** Still running: neither exited nor killed by a signal. */
  alive(): boolean;
  /** Asks the child for its counters; rejects if it does not answer within `timeoutMs`. */
  stats(timeoutMs?: number): Promise<DnsStats>;
  /** SIGTERM (SIGKILL after 3 s), then resolves with the exit code (0: the server closed cleanly). */
  stop(): Promise<number | null>;
}

/** Where the child listens; with `netns`, it runs inside that network namespace (`ip netns exec`). */
export interface ChildServerOptions {
  host?: string;
  port?: number;
  netns?: string;
}

export async function startChildServer(
  records: Array<[string, string]>,
  options: ChildServerOptions = {},
): Promise<ChildServer> {
  const dir = await mkdtemp(join(tmpdir(), 'banger-dns-test-'));
  const bundle = join(dir, 'serve.cjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  const listen = JSON.stringify({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const argv = [process.execPath, bundle, JSON.stringify(records), listen];
  // `ip netns exec` execs node in place, so the pid, signals and the IPC channel stay the child's.
  const [cmd = '', ...args] =
    options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.finally(() => rm(dir, { recursive: true, force: true }));
  const port = await readPort(child);
  return {
    port,
    alive: () => child.exitCode === null && child.signalCode === null,
    stats: (timeoutMs = 2000) => requestStats(child, timeoutMs),
    stop: async () => {
      child.kill('SIGTERM');
      // A stalled event loop never runs the SIGTERM handler.
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      return exited.finally(() => clearTimeout(timer));
    },
  };
}

async function readPort(child: ChildProcess): Promise<number> {
  if (child.stdout === null) throw new Error('child has no stdout');
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    for await (const line of lines) {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (typeof port === 'number') return port;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error('DNS test server exited before reporting its port');
}

function requestStats(child: ChildProcess, timeoutMs: number): Promise<DnsStats> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      const stats = (message as { stats?: DnsStats }).stats;
      if (stats === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(stats);
    };
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`DNS test server did not report stats within ${timeoutMs} ms (stalled?)`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.send('stats');
  });
}
