import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtWebDir, contentTypeOf, isPlainAssetName, readRegularFile } from './assets.js';

describe('web assets', () => {
  it('gives the content types the UI build produces', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('app-1a2b.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('app.CSS')).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('logo.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('logo.png')).toBe('image/png');
    expect(contentTypeOf('font.woff2')).toBe('font/woff2');
    expect(contentTypeOf('app.js.map')).toBe('application/json; charset=utf-8');
    expect(contentTypeOf('blob.bin')).toBe('application/octet-stream');
    expect(contentTypeOf('Makefile')).toBe('application/octet-stream');
  });

  it('takes only plain file names: no separators, parents, NUL or hidden files', () => {
    for (const good of ['index.js', 'app-1a2B_c.css', 'a', 'font.v2.woff2'])
      expect(isPlainAssetName(good), good).toBe(true);
    for (const bad of [
      '',
      '..',
      '.',
      '../index.html',
      'a/b.js',
      'a\\b.js',
      'a\0b',
      '.env',
      'a..b',
      `${'a'.repeat(201)}`,
      'a b',
      '%2e%2e',
    ]) {
      expect(isPlainAssetName(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('reads regular files only: not a directory, not a symlink, not a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banger-assets-'));
    writeFileSync(join(dir, 'a.js'), 'x');
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'a.js'), join(dir, 'link.js'));
    expect((await readRegularFile(join(dir, 'a.js')))?.toString()).toBe('x');
    expect(await readRegularFile(join(dir, 'sub'))).toBeUndefined();
    expect(await readRegularFile(join(dir, 'link.js'))).toBeUndefined();
    expect(await readRegularFile(join(dir, 'missing.js'))).toBeUndefined();
    expect(await readRegularFile(join(dir, 'a.js', 'below'))).toBeUndefined();
  });

  it('finds web/ beside the bundle only: never in a parent, never from the sources', () => {
    const root = mkdtempSync(join(tmpdir(), 'banger-webdir-'));
    const module = (path: string) => pathToFileURL(join(root, path)).href;
    mkdirSync(join(root, 'dist', 'web'), { recursive: true });
    expect(builtWebDir(module('dist/bangerd.js'))).toBeUndefined(); // no index.html yet: not built
    writeFileSync(join(root, 'dist', 'web', 'index.html'), 'built');
    expect(builtWebDir(module('dist/bangerd.js'))).toBe(join(root, 'dist', 'web'));
    // A built dist/web above a bundle (or the sources) that has none beside it is not ours.
    mkdirSync(join(root, 'a', 'b', 'dist'), { recursive: true });
    expect(builtWebDir(module('a/b/dist/bangerd.js'))).toBeUndefined();
    expect(builtWebDir(module('a/bangerd.js'))).toBeUndefined();
    mkdirSync(join(root, 'src', 'daemon', 'web'), { recursive: true });
    expect(builtWebDir(module('src/daemon/web/assets.ts'))).toBeUndefined();
    // Planted web/ directories in the parents of a real layout do not count either.
    mkdirSync(join(root, 'a', 'web'), { recursive: true });
    writeFileSync(join(root, 'a', 'web', 'index.html'), 'planted');
    expect(builtWebDir(module('a/b/dist/bangerd.js'))).toBeUndefined();
  });
});
