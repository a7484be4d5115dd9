import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import {
  DEFAULT_PACKAGES_FILE,
  defaultPackagesFile,
  parsePackageList,
  readPackageList,
} from './packages-file.js';

describe('parsePackageList', () => {
  it('takes one package per line, skips comments and blanks, drops duplicates', () => {
    expect(parsePackageList('# head\nsystemd\n\n  git  # vcs\nlibc6:amd64\ngit\n')).toEqual([
      'systemd',
      'git',
      'libc6:amd64',
    ]);
  });

  it('refuses anything that is not a package name, naming the line', () => {
    for (const bad of ['--allow-unauthenticated', 'two words', 'x', 'Upper', 'a;rm -rf /']) {
      expect(() => parsePackageList(`git\n${bad}\n`, 'list.txt')).toThrow(/list\.txt line 2/);
    }
  });

  it('refuses an empty list', () => {
    expect(() => parsePackageList('# nothing\n\n')).toThrow(AppError);
  });
});

describe('package list files', () => {
  it('the repository list parses and has what the golden image needs', async () => {
    const packages = await readPackageList(defaultPackagesFile());
    expect(packages).toEqual(
      expect.arrayContaining([
        'systemd',
        'openssh-server',
        'linux-image-cloud-amd64',
        'docker.io',
        'ca-certificates',
      ]),
    );
  });

  it('is found from a bundle directory below the package root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'banger-pkgs-'));
    await mkdir(join(root, 'images/debian-bookworm'), { recursive: true });
    await mkdir(join(root, 'dist/tools'), { recursive: true });
    await writeFile(join(root, DEFAULT_PACKAGES_FILE), 'git\n');
    expect(defaultPackagesFile(join(root, 'dist'))).toBe(join(root, DEFAULT_PACKAGES_FILE));
  });

  it('a missing file is not_found with the flag to use', async () => {
    await expect(readPackageList('/nonexistent/packages.txt')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/--packages/),
    });
  });
});
