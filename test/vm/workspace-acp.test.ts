// `vm workspace prepare` and `vm acp` on one running golden-image VM through
// the stand-in: the workspace copy into a running VM (git status as on the
// host, --readonly, submodules only with --mode full_copy, bad input and a
// stopped VM refused with one line), and an ACP agent in the guest driven by
// the ACP SDK over banger's stdio, byte for byte.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client, methods, ndJsonStream } from '@agentclientprotocol/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANGER } from '../support/sandbox.js';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../support/vm-harness.js';

let h: VmHarness;
const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const guest = async (script: string, input?: string) =>
  h.banger(['vm', 'ssh', 'ws', '--', 'sh', '-c', script], input === undefined ? {} : { input });
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    encoding: 'utf8',
  });
const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

function makeRepo(dir: string): void {
  mkdirSync(join(dir, 'sub dir'), { recursive: true });
  git(h.root, 'init', '-q', '-b', 'main', dir);
  writeFileSync(join(dir, 'README.md'), 'hello\n');
  writeFileSync(join(dir, 'sub dir', 'ünï.txt'), 'nested\n');
  writeFileSync(join(dir, '.gitignore'), 'ignored.log\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
  writeFileSync(join(dir, 'README.md'), 'hello, edited\n');
  writeFileSync(join(dir, 'untracked.txt'), 'new\n');
  writeFileSync(join(dir, 'ignored.log'), 'ignored\n');
}

let repo: string;
let withSub: string;

beforeAll(async () => {
  h = await createVmHarness({ label: 'wsacp', config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'] });
  await registerGoldenImage(h, 'golden');
  repo = join(h.root, 'my repo');
  makeRepo(repo);
  const lib = join(h.root, 'lib');
  makeRepo(lib);
  withSub = join(h.root, 'with-sub');
  makeRepo(withSub);
  git(withSub, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib, 'lib');
  git(withSub, 'commit', '-qm', 'add lib');
  await ok(['vm', 'create', '--name', 'ws', '--image', 'golden'], 300_000);
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('vm workspace prepare', () => {
  it('copies into the running VM: git status there matches the host; --json; a second copy is refused', {
    timeout: 300_000,
  }, async () => {
    const r = await ok(['vm', 'workspace', 'prepare', 'ws', repo]);
    expect(r.stdout).toMatch(/^prepared ws:\/root\/repo \(\d+ paths and the git metadata\)\n$/);
    const status = await guest('git -C /root/repo status --porcelain');
    expect(status.status).toBe(0);
    expect(status.stdout).toBe(git(repo, 'status', '--porcelain'));
    expect((await guest('test -e /root/repo/ignored.log')).status).toBe(1);

    const json = await ok([
      'vm',
      'workspace',
      'prepare',
      'ws',
      join(repo, 'sub dir'),
      '--guest-path',
      '/srv/x',
      '--json',
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      vm: 'ws',
      source: repo,
      guestPath: '/srv/x',
      kind: 'git',
    });

    const again = await h.banger(['vm', 'workspace', 'prepare', 'ws', repo]);
    // Refused by the guest before anything is unpacked, so after the progress line.
    expect(again.status).toBe(5);
    expect(again.stderr).toBe(
      `→ copying ${repo} to ws:/root/repo\nbanger: /root/repo already exists in the guest and is not an empty directory; nothing was copied\n`,
    );
    expect((await guest('git -C /root/repo status --porcelain')).stdout).toBe(
      git(repo, 'status', '--porcelain'),
    );
  });

  it('bad input: one line, exit 2, nothing created in the guest', { timeout: 120_000 }, async () => {
    for (const args of [
      [join(h.root, 'nope'), '--guest-path', '/root/bad1'],
      [repo, '--guest-path', 'relative/bad2'],
      [repo, '--guest-path', '/root/bad3', '--from', 'HEAD'],
      [repo, '--guest-path', '/root/bad4', '--branch', 'main'],
    ]) {
      const r = await h.banger(['vm', 'workspace', 'prepare', 'ws', ...args]);
      expect(r.status, r.stderr).toBe(2);
      oneLine(r.stderr);
      expect(r.stdout).toBe('');
    }
    const left = await guest('ls -d /root/bad* /root/relative 2>/dev/null; true');
    expect(left.stdout).toBe('');
  });

  it('--readonly: writes in the guest copy fail, for root too; git status still works', {
    timeout: 300_000,
  }, async () => {
    const r = await ok(['vm', 'workspace', 'prepare', 'ws', repo, '--guest-path', '/root/ro', '--readonly']);
    expect(r.stdout).toContain('read-only');
    for (const write of ['echo x >>/root/ro/README.md', 'touch /root/ro/new', 'rm /root/ro/untracked.txt']) {
      expect((await guest(write)).status, write).not.toBe(0);
    }
    const status = await guest('git -C /root/ro status --porcelain');
    expect(status.status).toBe(0);
    expect(status.stdout).toBe(git(repo, 'status', '--porcelain'));
    expect((await guest('grep -c " /root/ro none bind,ro,nofail" /etc/fstab')).stdout).toBe('1\n');
  });

  it('a repository with a submodule: refused without --mode full_copy, copied with it', {
    timeout: 300_000,
  }, async () => {
    const refused = await h.banger([
      'vm',
      'workspace',
      'prepare',
      'ws',
      withSub,
      '--guest-path',
      '/root/sub',
    ]);
    expect(refused.status).toBe(2);
    oneLine(refused.stderr);
    expect(refused.stderr).toContain('has git submodules (lib); copy it with --mode full_copy');
    expect((await guest('test -e /root/sub')).status).toBe(1);

    await ok([
      'vm',
      'workspace',
      'prepare',
      'ws',
      withSub,
      '--guest-path',
      '/root/sub',
      '--mode',
      'full_copy',
    ]);
    // The submodule's checkout (a clone of lib's commit) came along, ignored files too.
    expect((await guest('cat /root/sub/lib/README.md /root/sub/ignored.log')).stdout).toBe(
      'hello\nignored\n',
    );
    const status = await guest('git -C /root/sub status --porcelain');
    expect(status.stdout).toBe(git(withSub, 'status', '--porcelain'));
  });
});

/** `banger vm acp ws ARGS…` as a child process with its stdio as pipes (an editor's view). */
function acp(args: string[]): ChildProcessWithoutNullStreams {
  return spawn('ip', ['netns', 'exec', h.netns.name, process.execPath, BANGER, 'vm', 'acp', 'ws', ...args], {
    env: h.env,
  });
}

async function finish(child: ChildProcessWithoutNullStreams, input?: Buffer) {
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  if (input !== undefined) child.stdin.end(input);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stdout: Buffer.concat(out), stderr };
}

/** An ACP agent of sh and jq: answers each request, echoing its exact line in `_meta.request`. */
const RESPONDER = `while IFS= read -r line; do
  id=$(printf '%s' "$line" | jq -c .id)
  raw=$(printf '%s' "$line" | jq -Rs .)
  printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":1,"agentCapabilities":{},"authMethods":[],"_meta":{"request":%s}}}\\n' "$id" "$raw"
done
`;

describe('vm acp', () => {
  it('an ACP initialize from the SDK through banger to a guest agent, byte for byte both ways', {
    timeout: 120_000,
  }, async () => {
    await guest('cat >/root/responder.sh', RESPONDER);
    const child = acp(['--agent', 'sh /root/responder.sh']);
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    const output = new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          sent.push(Buffer.from(chunk));
          child.stdin.write(chunk, (e) => (e ? reject(e) : resolve()));
        }),
      close: () => {
        child.stdin.end();
      },
    });
    let cancelled = false;
    const input = new ReadableStream<Uint8Array>({
      start(controller) {
        child.stdout.on('data', (d: Buffer) => {
          received.push(d);
          if (!cancelled) controller.enqueue(new Uint8Array(d));
        });
        child.stdout.on('end', () => {
          if (!cancelled) controller.close();
        });
      },
      cancel: () => {
        cancelled = true;
      },
    });
    const done = finish(child);
    const name = 'bänger "test" \\ 名前\ttab\nline';
    const response = await client({ name: 'banger-test' }).connectWith(ndJsonStream(output, input), (ctx) =>
      ctx.request(methods.agent.initialize, {
        protocolVersion: 1,
        clientInfo: { name, version: '1' },
        clientCapabilities: {},
      }),
    );
    expect(response.protocolVersion).toBe(1);
    const request = Buffer.concat(sent).toString('utf8');
    expect(request.endsWith('\n')).toBe(true);
    const line = request.slice(0, -1);
    expect(JSON.parse(line)).toMatchObject({ method: 'initialize', params: { clientInfo: { name } } });
    // Host to guest: the agent saw exactly the SDK's bytes.
    expect(response._meta?.request).toBe(line);
    // Guest to host: exactly the agent's bytes, nothing else on stdout.
    const id = JSON.stringify(JSON.parse(line).id);
    expect(Buffer.concat(received).toString('utf8')).toBe(
      `{"jsonrpc":"2.0","id":${id},"result":{"protocolVersion":1,"agentCapabilities":{},"authMethods":[],"_meta":{"request":${JSON.stringify(line)}}}}\n`,
    );
    // Closing stdin, as an editor does when done: EOF reaches the agent, which ends, and so does banger.
    child.stdin.end();
    expect((await done).status).toBe(0);
  });

  it('raw bytes round-trip through cat; exit status, cwd and a missing agent', {
    timeout: 120_000,
  }, async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"x":"ünï \\"q\\" \\\\ \\u0000"}\n'),
      Buffer.from([0, 255, 13, 10]),
    ]);
    const echoed = await finish(acp(['--agent', 'cat']), bytes);
    expect(echoed.status).toBe(0);
    expect(echoed.stdout.equals(bytes)).toBe(true);
    expect((await finish(acp(['--agent', 'cat >/dev/null; exit 7']), Buffer.from('x'))).status).toBe(7);
    expect((await finish(acp(['--agent', 'pwd']), Buffer.alloc(0))).stdout.toString()).toBe('/root/repo\n');
    expect((await finish(acp(['--agent', 'pwd', '--cwd', '/tmp']), Buffer.alloc(0))).stdout.toString()).toBe(
      '/tmp\n',
    );

    const missing = await finish(acp([]), Buffer.alloc(0));
    expect(missing.status).toBe(127);
    expect(missing.stdout.length).toBe(0);
    oneLine(missing.stderr);
    expect(missing.stderr).toMatch(
      /^banger: the ACP agent command `opencode` is not installed in ws .*--agent/,
    );
  });
});

describe('a VM that is not running', () => {
  it('prepare and acp: one line, exit 5', { timeout: 300_000 }, async () => {
    await ok(['vm', 'stop', 'ws'], 120_000);
    for (const args of [
      ['vm', 'workspace', 'prepare', 'ws', repo, '--guest-path', '/root/late'],
      ['vm', 'acp', 'ws', '--agent', 'cat'],
    ]) {
      const r = await h.banger(args);
      expect(r.status, r.stderr).toBe(5);
      expect(r.stderr).toBe('banger: VM ws is not running; start it with `banger vm start ws`\n');
      expect(r.stdout).toBe('');
    }
  });
});
