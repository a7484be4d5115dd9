// .ci/fetch-verified.sh, which CI uses for every download (Node, npm, Firecracker's
// API description): only a file with the pinned sha256 ever becomes DEST.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve('.ci/fetch-verified.sh');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'banger-fetch-verified-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fetch(url: string, hash: string, dest: string) {
  return spawnSync(SCRIPT, [url, hash, dest], { encoding: 'utf8' });
}

describe('.ci/fetch-verified.sh', () => {
  it('downloads a file whose sha256 matches', () => {
    const source = join(dir, 'spec.yaml');
    writeFileSync(source, 'swagger: "2.0"\n');
    const dest = join(dir, 'cache', 'spec.yaml');
    const r = fetch(pathToFileURL(source).href, sha256('swagger: "2.0"\n'), dest);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe('swagger: "2.0"\n');
  });

  it('refuses a modified file in one line naming both hashes and deletes it', () => {
    const source = join(dir, 'spec.yaml');
    writeFileSync(source, 'swagger: "2.0"\nextra: tampered\n');
    const dest = join(dir, 'cache', 'spec.yaml');
    const want = sha256('swagger: "2.0"\n');
    const got = sha256('swagger: "2.0"\nextra: tampered\n');
    const r = fetch(pathToFileURL(source).href, want, dest);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe(
      `error: ${pathToFileURL(source).href}: sha256 mismatch: expected ${want}, got ${got} (file deleted)\n`,
    );
    expect(readdirSync(join(dir, 'cache'))).toEqual([]); // neither DEST nor the partial download
  });

  it('keeps a cached file that matches without fetching, and replaces one that does not', () => {
    const dest = join(dir, 'spec.yaml');
    writeFileSync(dest, 'good\n');
    expect(fetch('file:///nonexistent/banger', sha256('good\n'), dest).status).toBe(0);

    const source = join(dir, 'source.yaml');
    writeFileSync(source, 'good\n');
    writeFileSync(dest, 'damaged\n');
    const r = fetch(pathToFileURL(source).href, sha256('good\n'), dest);
    expect(r.status).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe('good\n');
  });

  it('fails when the download fails, leaving nothing behind', () => {
    const dest = join(dir, 'cache', 'spec.yaml');
    const r = fetch('file:///nonexistent/banger', sha256('x'), dest);
    expect(r.status).not.toBe(0);
    expect(readdirSync(join(dir, 'cache'))).toEqual([]);
  });
});
