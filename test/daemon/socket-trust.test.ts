// The CLI checks whom it talks to: a socket directory or socket that another
// local user could have planted is refused before anything is sent.
//
// Needs root: the planted files belong to a second uid, and the CLI runs as an
// ordinary uid (setpriv) in a private mount namespace whose /tmp is a temp dir
// of this test, so the real /tmp/banger-<uid> is never touched. The planted
// "daemon" is an HTTP server in this process that records every connection.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../support/sandbox.js';

/** The ordinary user running the CLI, and the other local user who plants files. */
const USER = 4343;
const OTHER = 4344;

/** Every command that talks to the daemon, with arguments that get it as far as the connection. */
const DAEMON_COMMANDS: readonly (readonly string[])[] = [
  ['daemon', 'status'],
  ['daemon', 'stop'],
  ['vm', 'run'],
  ['vm', 'run', '/tmp/home', '--', 'true'],
  ['vm', 'create'],
  ['vm', 'list'],
  ['vm', 'show', 'x'],
  ['vm', 'start', 'x'],
  ['vm', 'restart', 'x'],
  ['vm', 'stop', 'x'],
  ['vm', 'kill', 'x'],
  ['vm', 'delete', 'x'],
  ['vm', 'set', 'x', '--nat'],
  ['vm', 'stats', 'x'],
  ['vm', 'logs', 'x'],
  ['vm', 'ssh', 'x'],
  ['vm', 'ports', 'x'],
  ['image', 'list'],
  ['image', 'show', 'x'],
  ['image', 'build'],
  ['image', 'pull', 'example.com/x:1'],
  ['image', 'register', 'x', '--rootfs', '/tmp/home/rootfs', '--kernel-ref', 'k'],
  ['image', 'promote', 'x'],
  ['image', 'delete', 'x'],
  ['kernel', 'list'],
  ['kernel', 'list', '--available'],
  ['kernel', 'show', 'x'],
  ['kernel', 'pull', 'x'],
  ['kernel', 'delete', 'x'],
  ['uninstall', '--keep-package'],
];

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

let fakeTmp: string;
let server: Server | undefined;
let connections: number;

/** fakeTmp is /tmp inside the CLI's namespace: `inside('x')` is where the CLI sees fakeTmp/x. */
const real = (inside: string) => join(fakeTmp, inside.replace(/^\/tmp\/?/, ''));
const runtimeDir = `/tmp/banger-${USER}`;
const socket = `${runtimeDir}/bangerd.sock`;

beforeEach(() => {
  fakeTmp = mkdtempSync(join(tmpdir(), 'banger-trust-'));
  chmodSync(fakeTmp, 0o1777);
  // HOME for the CLI (it needs one for its config and state); the user's own.
  mkdirSync(real('/tmp/home'), { mode: 0o700 });
  chownSync(real('/tmp/home'), USER, USER);
  connections = 0;
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(fakeTmp, { recursive: true, force: true });
});

/** A listening "daemon" at `path` (as the CLI sees it) that answers every request with an error. */
async function plantListener(path: string, owner: number, mode = 0o666): Promise<void> {
  server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'internal', message: 'the planted socket answered' } }));
  });
  server.on('connection', () => {
    connections++;
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(real(path), resolve));
  chownSync(real(path), owner, owner);
  chmodSync(real(path), mode);
}

function makeDir(path: string, owner: number, mode: number): void {
  mkdirSync(real(path));
  chownSync(real(path), owner, owner);
  chmodSync(real(path), mode);
}

/**
 * Runs the built CLI as USER without XDG_RUNTIME_DIR (so the /tmp fallback is
 * used), in a mount namespace where /tmp is fakeTmp. Asynchronous, so this
 * process's listener can answer while the CLI runs.
 */
function banger(args: readonly string[]): Promise<Result> {
  // The checkout may be below /tmp (hidden by the fake one) or below a directory only root may
  // enter (/root): bind it into the fake /tmp, where the user can reach it, and run it from there.
  const script = [
    't=$1; u=$2; r=$3; shift 3',
    'mkdir -p "$t/.repo" && mount --bind "$r" "$t/.repo"',
    'mount --rbind "$t" /tmp && exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"',
  ].join('; ');
  const child = spawn(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      script,
      'sh',
      fakeTmp,
      String(USER),
      REPO,
      process.execPath,
      '/tmp/.repo/dist/banger.js',
      ...args,
    ],
    {
      cwd: '/',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/tmp/home',
        BANGER_DAEMON_BIN: '/tmp/.repo/dist/bangerd.js',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

/** Exit 6 with exactly one line on stderr that matches `reason`, and nothing on stdout. */
function expectRefused(r: Result, reason: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^banger: [^\n]+\n$/);
  expect(r.stderr).toMatch(reason);
  expect(r.status).toBe(6);
}

describe('the CLI refuses a socket it cannot trust', () => {
  // Runs as root in CI (like the network tests): it plants sockets as two other uids in a private /tmp.
  beforeAll(() => {
    if (process.getuid?.() !== 0 || spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status !== 0)
      throw new Error('this test plants sockets as other users and must run as root with unshare -m');
  });

  it('reaches a socket in the user’s own 0700 directory (the harness routes connections)', async () => {
    makeDir(runtimeDir, USER, 0o700);
    await plantListener(socket, USER, 0o600);
    const r = await banger(['vm', 'list']);
    expect(r.stderr).toBe('banger: the planted socket answered\n');
    expect(connections).toBeGreaterThan(0);
  });

  it('refuses every daemon command when another user planted the directory, sending nothing', async () => {
    makeDir(runtimeDir, OTHER, 0o755);
    await plantListener(socket, OTHER);
    for (const args of DAEMON_COMMANDS) {
      const r = await banger(args);
      expect({ args, ...r }).toMatchObject({ args, status: 6, stdout: '' });
      expectRefused(r, new RegExp(`${runtimeDir} belongs to uid ${OTHER}.*XDG_RUNTIME_DIR`));
    }
    expect(connections).toBe(0);
  });

  it('doctor refuses the planted directory like every other command instead of asking the planted daemon', async () => {
    makeDir(runtimeDir, OTHER, 0o755);
    await plantListener(socket, OTHER);
    const r = await banger(['doctor']);
    expectRefused(r, new RegExp(`${runtimeDir} belongs to uid ${OTHER}`));
    expect(connections).toBe(0);
  });

  it('does not auto-start a daemon into a planted directory', async () => {
    makeDir(runtimeDir, OTHER, 0o777);
    const r = await banger(['daemon', 'status']);
    expectRefused(r, new RegExp(`${runtimeDir} belongs to uid ${OTHER}`));
    // Starting bangerd creates its log first; there is none.
    expect(existsSync(real('/tmp/home/.local/state/banger/bangerd.log'))).toBe(false);
  });

  it('refuses the user’s own directory when it is not 0700', async () => {
    makeDir(runtimeDir, USER, 0o755);
    await plantListener(socket, USER, 0o600);
    expectRefused(await banger(['vm', 'list']), new RegExp(`${runtimeDir} has mode 0755.*chmod 700`));
    expect(connections).toBe(0);
  });

  it('refuses a socket owned by another user inside the user’s 0700 directory', async () => {
    makeDir(runtimeDir, USER, 0o700);
    await plantListener(socket, OTHER);
    expectRefused(await banger(['vm', 'list']), new RegExp(`${socket} belongs to uid ${OTHER}.*rm `));
    expect(connections).toBe(0);
  });

  it('refuses something other than a socket at the socket path', async () => {
    makeDir(runtimeDir, USER, 0o700);
    makeDir(socket, USER, 0o700);
    expectRefused(await banger(['vm', 'list']), new RegExp(`${socket} is not a socket`));
  });

  it('refuses a symlinked directory, even to a directory that looks right', async () => {
    makeDir('/tmp/elsewhere', USER, 0o700);
    await plantListener('/tmp/elsewhere/bangerd.sock', USER, 0o600);
    symlinkSync('/tmp/elsewhere', real(runtimeDir));
    lchownSync(real(runtimeDir), OTHER, OTHER);
    expectRefused(await banger(['vm', 'list']), new RegExp(`${runtimeDir} is a symlink`));
    expect(connections).toBe(0);
  });
});
