import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageInfo } from '../../src/api/images.js';
import { BANGER, createSandbox, type Sandbox } from '../support/sandbox.js';
import { pathsOf } from './support.js';

let sb: Sandbox;
// Machines whose HTTPS goes through an inspecting proxy name its CA here; the sandbox must keep it.
const extraEnv: Record<string, string> = process.env.NODE_EXTRA_CA_CERTS
  ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }
  : {};

beforeAll(() => {
  sb = createSandbox();
});
afterAll(() => sb?.cleanup());

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('killing the daemon mid-build', () => {
  it('leaves no registered half image, no temp files and no builder running once the daemon is back', async () => {
    const paths = pathsOf(sb);
    const cli = spawn(process.execPath, [BANGER, 'image', 'build', '--name', 'half-built'], {
      env: { ...sb.env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    const deadline = Date.now() + 120_000;
    while (!/mmdebstrap/.test(stderr)) {
      if (Date.now() > deadline || cli.exitCode !== null)
        throw new Error(`the build did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000)); // mmdebstrap is at work in the staging dir
    const staging = readdirSync(paths.tmpDir).filter((n) => n.startsWith('image-staging-half-built-'));
    expect(staging).toHaveLength(1);
    const stagingPath = join(paths.tmpDir, staging[0] ?? '');
    expect(processesMentioning(stagingPath).length).toBeGreaterThan(0);

    const { pid } = JSON.parse(sb.banger(['daemon', 'status', '--json']).stdout) as { pid: number };
    process.kill(pid, 'SIGKILL');
    expect(await exited).toBe(7);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^banger: the daemon closed the stream before finishing/,
    );

    const list = sb.banger(['image', 'list', '--json'], extraEnv); // starts a fresh daemon
    expect(imageInfo.array().parse(JSON.parse(list.stdout))).toEqual([]);
    expect(processesMentioning(stagingPath)).toEqual([]);
    expect(readdirSync(paths.tmpDir)).toEqual([]);
    expect(existsSync(paths.imagesDir) ? readdirSync(paths.imagesDir) : []).toEqual([]);
    // Nothing comes back: no surviving builder writes into the removed dir.
    await new Promise((r) => setTimeout(r, 2000));
    expect(readdirSync(paths.tmpDir)).toEqual([]);
  }, 180_000);
});
