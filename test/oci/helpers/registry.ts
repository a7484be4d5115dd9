import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnRunner } from '../../../src/host/runner.js';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `argv` run inside network namespace `netns` when one is given. */
const inNetns = (netns: string | undefined, argv: string[]) =>
  netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;

async function answers(host: string, netns: string | undefined): Promise<boolean> {
  if (netns) {
    const r = await new SpawnRunner().run(
      inNetns(netns, ['curl', '-sf', '-o', '/dev/null', `http://${host}/v2/`]),
      {
        check: false,
      },
    );
    return r.exitCode === 0;
  }
  try {
    return (await fetch(`http://${host}/v2/`)).status === 200;
  } catch {
    return false; // not listening yet
  }
}

async function waitReady(
  host: string,
  child: ChildProcess,
  log: () => string,
  netns?: string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited early: ${log()}`);
    if (await answers(host, netns)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start: ${log()}`);
}

/**
 * Starts Debian's docker-registry on 127.0.0.1 with a private storage
 * directory; inside network namespace `netns` when given (where a test
 * harness's daemon can reach it).
 */
export async function startRegistry(o: { netns?: string } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'banger-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const [cmd = '', ...args] = inNetns(o.netns, ['/usr/bin/docker-registry', 'serve', config]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  await waitReady(host, child, () => stderr, o.netns);
  return {
    host,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Pushes an OCI layout's tag to the registry with skopeo (all platforms of an index), from `netns` when given. */
export async function pushLayout(
  layoutDir: string,
  tag: string,
  dest: string,
  netns?: string,
): Promise<void> {
  await new SpawnRunner().run(
    inNetns(netns, [
      'skopeo',
      'copy',
      '--all',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${layoutDir}:${tag}`,
      `docker://${dest}`,
    ]),
    { timeoutMs: 60_000 },
  );
}
