import { type ChildProcess, spawn } from 'node:child_process';
import type { Runner } from '../../src/host/runner.js';

/**
 * Tiny TCP endpoints for traffic tests, run with `node -e` inside a
 * namespace (no ping or netcat needed). The server answers every connection
 * with the peer address it saw, so a test can tell NATed traffic (the
 * host's address) from routed traffic (the guest's).
 */

const SERVER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
net.createServer((s) => s.end(s.remoteAddress + '\\n')).listen(Number(port), host, () => console.log('ready'));
`;

const CLIENT = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: Number(ms) });
let got = '';
s.on('data', (d) => (got += d));
s.on('end', () => { process.stdout.write(got); process.exit(0); });
s.on('timeout', () => { console.error('timeout'); process.exit(1); });
s.on('error', (e) => { console.error(e.code); process.exit(1); });
`;

/** Starts a server in namespace `ns` on host:port; resolves once it listens. Killed with its namespace. */
export function startServer(ns: string, host: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, host, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`server in ${ns} exited (${code}): ${err}`)));
  });
}

/**
 * Connects from the namespace `runner` runs in; resolves the address the
 * server saw, or undefined when the connection failed or timed out.
 */
export async function probe(
  runner: Runner,
  host: string,
  port: number,
  timeoutMs = 1000,
): Promise<string | undefined> {
  const result = await runner.run([process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)], {
    check: false,
    timeoutMs: timeoutMs + 5000,
  });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
