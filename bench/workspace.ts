// Workspace copy benchmark: banger's planWorkspace + streamWorkspace against the plain
// pipeline `git ls-files -z | tar -c | ssh tar -x` on the same generated repository, both
// to a real sshd on 127.0.0.1 with the same ssh options. Not a test: it prints numbers.
// Run as root (it starts sshd, which logs in as root; copies go to a temp directory).
//
//   npm run bench:workspace -- [--runs N] [--files N] [--large N] [--large-mb M] [--dir D] [--json]
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SpawnRunner } from '../src/host/runner.js';
import { generateHostKey } from '../src/host/ssh/host-key.js';
import { ensureSshKey } from '../src/host/ssh/identity.js';
import { KnownHosts } from '../src/host/ssh/known-hosts.js';
import { shellJoin, shellQuote } from '../src/host/ssh/quote.js';
import { sshArgs } from '../src/host/ssh/ssh-args.js';
import { planWorkspace } from '../src/host/workspace/plan.js';
import { streamWorkspace } from '../src/host/workspace/stream.js';
import { startSshd } from '../test/support/sshd.js';
import { git } from '../test/workspace/fixture.js';
import { median, progressLog } from './stats.js';

const runner = new SpawnRunner();
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    files: { type: 'string', default: '5000' },
    large: { type: 'string', default: '3' },
    'large-mb': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    dir: { type: 'string', default: tmpdir() },
  },
});
const runs = Math.max(1, Number(values.runs));
const smallFiles = Number(values.files);
const largeFiles = Number(values.large);
const largeBytes = Number(values['large-mb']) * 1024 * 1024;

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
const log = progressLog(values.json);
const du = async (path: string) => Number((await runner.run(['du', '-sb', path])).stdout.split('\t')[0]);

/** Small source-like files spread over nested directories, a few large binaries, one commit, a few edits. */
async function generateRepo(repo: string): Promise<void> {
  for (let i = 0; i < smallFiles; i++) {
    const dir = join(repo, 'src', `m${i % 40}`, `d${i % 7}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.ts`), randomBytes(256 + (i % 16) * 256).toString('base64'));
  }
  for (let i = 0; i < largeFiles; i++) await writeFile(join(repo, `asset${i}.bin`), randomBytes(largeBytes));
  await writeFile(join(repo, '.gitignore'), 'node_modules/\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'bench');
  await writeFile(join(repo, 'src', 'm0', 'd0', 'f0.ts'), 'edited\n');
  await writeFile(join(repo, 'untracked.txt'), 'new\n');
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(values.dir, 'banger-bench-ws-'));
  try {
    const repo = join(scratch, 'repo');
    log(`generating ${smallFiles} small files + ${largeFiles} × ${values['large-mb']} MB ...`);
    await generateRepo(repo);
    const identity = await ensureSshKey({ runner, defaultPath: join(scratch, 'ssh', 'id_ed25519') });
    const knownHosts = new KnownHosts(join(scratch, 'known_hosts'));
    const hostKey = await generateHostKey();
    await knownHosts.trust('bench', ['127.0.0.1'], hostKey.publicKey);
    const sshd = await startSshd(hostKey, [identity.publicKey]);
    const prefix = sshArgs({
      identityFile: identity.privateKeyPath,
      knownHostsFile: knownHosts.file,
      hostKeyAlias: 'bench',
      host: '127.0.0.1',
      port: sshd.port,
    });
    const [workTreeBytes, gitBytes] = [
      (await du(repo)) - (await du(join(repo, '.git'))),
      await du(join(repo, '.git')),
    ];
    log(
      `work tree ${(workTreeBytes / 1e6).toFixed(0)} MB, .git ${(gitBytes / 1e6).toFixed(0)} MB; ${runs} runs each`,
    );

    // banger's side in two parts: the plan on the host (git ls-files and friends), then the stream.
    const bangerPlan: number[] = [];
    const timeBanger = async (dest: string) => {
      const t0 = performance.now();
      const plan = await planWorkspace(runner, repo);
      bangerPlan.push(performance.now() - t0);
      await streamWorkspace({ plan, sshArgv: prefix, dest });
      return performance.now() - t0;
    };
    const pipe = async (list: string, dest: string) => {
      const remote = `mkdir -p ${shellQuote(dest)} && tar -x -C ${shellQuote(dest)}`;
      const pipeline = `${list} | tar -c --null -T - | ${shellJoin(prefix)} ${shellQuote(remote)}`;
      const t0 = performance.now();
      await runner.run(['sh', '-c', pipeline], { cwd: repo });
      return performance.now() - t0;
    };
    const timePlain = (dest: string) => pipe('git ls-files -z', dest);
    // The same pipeline carrying the same bytes as banger: the file list plus .git (tar recurses into it).
    const timePlainGit = (dest: string) => pipe(`{ git ls-files -z; printf '.git\\0'; }`, dest);
    // What banger's guest side does after unpacking and the pipeline does not: git's index refresh,
    // timed on the pipeline's copy of the same bytes (its index still describes the host's inodes).
    const refresh: number[] = [];
    const timeRefresh = async (dest: string) => {
      const t0 = performance.now();
      // As the guest runs it (stream.ts): a file edited since the commit makes git exit 1.
      await runner.run([
        'sh',
        '-c',
        'git -C "$1" update-index -q --refresh >/dev/null 2>&1 || true',
        'sh',
        dest,
      ]);
      refresh.push(performance.now() - t0);
    };

    const banger: number[] = [];
    const plain: number[] = [];
    const plainGit: number[] = [];
    const sides = [
      { name: 'banger', time: timeBanger, times: banger },
      { name: 'plain', time: timePlain, times: plain },
      { name: 'plain+git', time: timePlainGit, times: plainGit },
    ];
    try {
      for (let i = 0; i < runs; i++) {
        // Rotate the order so no side always runs with a warmer page cache.
        for (const side of [...sides.slice(i % 3), ...sides.slice(0, i % 3)]) {
          const dest = join(scratch, `dest-${i}-${side.name}`);
          await runner.run(['sync']);
          side.times.push(await side.time(dest));
          if (side.name === 'plain+git') await timeRefresh(dest);
          await rm(dest, { recursive: true, force: true });
        }
        log(`run ${i + 1}: ${sides.map((s) => `${s.name} ${seconds(s.times.at(-1) ?? 0)} s`).join(', ')}`);
      }
    } finally {
      await sshd.stop();
    }
    const result = {
      smallFiles,
      largeFiles,
      largeFileBytes: largeBytes,
      workTreeBytes,
      gitBytes,
      runs,
      medianSeconds: {
        banger: seconds(median(banger)),
        plainPipeline: seconds(median(plain)),
        plainPipelineWithGitDir: seconds(median(plainGit)),
        bangerPlan: seconds(median(bangerPlan)),
        indexRefresh: seconds(median(refresh)),
      },
      ratio: Number((median(banger) / median(plain)).toFixed(2)),
      ratioSameBytes: Number((median(banger) / median(plainGit)).toFixed(2)),
      note: 'banger also copies .git (so git status in the guest matches) and refreshes the index there; ratioSameBytes compares against the plain pipeline carrying .git too; bangerPlan is the host-side plan within banger, indexRefresh the refresh alone on the pipeline copy',
    };
    process.stdout.write(`${JSON.stringify(result, null, values.json ? 2 : undefined)}\n`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
