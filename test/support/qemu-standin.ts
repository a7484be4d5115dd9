import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';

/** The bundled stand-in; test/support/global-setup.ts builds dist/ before integration tests. */
export const STANDIN = resolve('dist/tools/firecracker-standin.js');

interface ApiResponse {
  status: number;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

/** One HTTP request to a Firecracker(-like) API socket. `body` objects are JSON-encoded, strings sent as is. */
function fcRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers:
          payload === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolvePromise({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as unknown) : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface StandinProcess {
  child: ChildProcess;
  socketPath: string;
  /** Everything written to stdout so far (Firecracker's console + default log). */
  stdout(): string;
  stderr(): string;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Resolves with the exit status (or signal name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout contains `text`; rejects after `timeoutMs` or when the process exits first. */
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
}

export interface SpawnStandinOptions {
  dir: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (`ip netns exec`, which execs: the child pid is the stand-in's). */
  netns?: string;
}

/** Starts the stand-in with `--api-sock <dir>/api.sock` and waits for the socket to appear. */
export async function spawnStandin(options: SpawnStandinOptions): Promise<StandinProcess> {
  const socketPath = join(options.dir, 'api.sock');
  const argv = [process.execPath, STANDIN, '--api-sock', socketPath, ...(options.args ?? [])];
  const full = options.netns ? ['ip', 'netns', 'exec', options.netns, ...argv] : argv;
  const child = spawn(full[0] ?? '', full.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The stand-in's KVM probe passes on some hosts (this one) whose KVM still crashes real guests; TCG always works.
    env: { ...process.env, BANGER_STANDIN_ACCEL: process.env.BANGER_STANDIN_ACCEL ?? 'tcg', ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => res({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const waitForOutput = async (text: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!out.includes(text)) {
      if (done) throw new Error(`stand-in exited before printing ${JSON.stringify(text)}; stderr: ${err}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${JSON.stringify(text)}; output tail: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const deadline = Date.now() + 15_000;
  while (!existsSync(socketPath)) {
    if (done) throw new Error(`stand-in exited during startup: ${err || out}`);
    if (Date.now() > deadline) throw new Error(`stand-in did not create ${socketPath}: ${err || out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    socketPath,
    stdout: () => out,
    stderr: () => err,
    api: (method, path, body) => fcRequest(socketPath, method, path, body),
    exited,
    waitForOutput,
  };
}

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
