import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableKernels, imageDetail, imageInfo, kernelInfo } from '../../src/api/images.js';
import { newVmId } from '../../src/domain/vm.js';
import { openDatabase } from '../../src/store/db.js';
import { VmRepository } from '../../src/store/vm-repository.js';
import { SYNTHETIC_VERSION } from '../kernel/support/synthetic-kernel.js';
import { BANGER, createSandbox, type Sandbox } from '../support/sandbox.js';
import { makeExt4, makeKernelSet, oneLine, pathsOf } from './support.js';

let sb: Sandbox;
let files: string;

beforeAll(async () => {
  sb = createSandbox();
  files = join(sb.root, 'host-files');
  mkdirSync(join(files, 'modules', '6.1.0-42-cloud-amd64'), { recursive: true });
  await makeExt4(join(files, 'rootfs.ext4'));
  await makeExt4(join(files, 'work-seed.ext4'), 8);
  writeFileSync(join(files, 'vmlinux'), Buffer.from('\x7fELF fake kernel'));
  writeFileSync(join(files, 'initrd.img'), 'fake initrd');
  await makeKernelSet(join(pathsOf(sb).kernelsDir, 'test-kernel'));
});
afterAll(() => sb.cleanup());

const ok = (args: string[]) => {
  const r = sb.banger(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
/** A failing command: exactly one `banger: …` line on stderr, nothing on stdout. */
const fails = (args: string[], exit: number) => {
  const r = sb.banger(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(exit);
  expect(r.stdout).toBe('');
  return oneLine(r.stderr);
};
const listJson = () => imageInfo.array().parse(JSON.parse(ok(['image', 'list', '--json']).stdout));
const showJson = (name: string) =>
  imageDetail.parse(JSON.parse(ok(['image', 'show', name, '--json']).stdout));

describe('image register, list, show, delete through the CLI and daemon', () => {
  it('registers host files with a kernel set, and with kernel files given by relative paths', () => {
    const r = ok([
      'image',
      'register',
      'host-a',
      '--rootfs',
      join(files, 'rootfs.ext4'),
      '--work-seed',
      join(files, 'work-seed.ext4'),
      '--kernel-ref',
      'test-kernel',
    ]);
    expect(r.stderr).toBe('image host-a registered\n');
    const rel = spawnSync(
      process.execPath,
      [
        BANGER,
        'image',
        'register',
        'host-b',
        '--rootfs',
        'rootfs.ext4',
        '--kernel',
        'vmlinux',
        '--initrd',
        'initrd.img',
        '--modules',
        'modules/6.1.0-42-cloud-amd64',
      ],
      { env: sb.env, cwd: files, encoding: 'utf8', timeout: 60_000 },
    );
    expect(rel.status, rel.stderr).toBe(0);

    const images = listJson();
    expect(images.map((i) => i.name)).toEqual(['host-a', 'host-b']);
    const [a, b] = images;
    expect(a).toMatchObject({
      managed: false,
      rootfs: join(files, 'rootfs.ext4'),
      workSeed: join(files, 'work-seed.ext4'),
      kernel: { kind: 'set', name: 'test-kernel' },
      source: { kind: 'register', rootfs: join(files, 'rootfs.ext4') },
      sizeBytes: 24 * 1024 * 1024,
    });
    expect(b).toMatchObject({
      kernel: {
        kind: 'files',
        vmlinux: join(files, 'vmlinux'),
        initrd: join(files, 'initrd.img'),
        modulesDir: join(files, 'modules', '6.1.0-42-cloud-amd64'),
        version: '6.1.0-42-cloud-amd64',
      },
    });
    expect(b?.workSeed).toBeUndefined();

    const detail = showJson('host-a');
    expect(detail.kernelVersion).toBe(SYNTHETIC_VERSION);
    expect(detail.usedBy).toEqual([]);

    const table = ok(['image', 'list']).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +SIZE +SOURCE +KERNEL +CREATED$/);
    expect(table[1]).toMatch(/^host-a +24M +register +test-kernel +\d{4}-/);
    expect(table[2]).toMatch(/^host-b +16M +register +own \(6\.1\.0-42-cloud-amd64\) +\d{4}-/);
    expect(ok(['image', 'show', 'host-a']).stdout).toMatch(
      /^kernel: +test-kernel, version 6\.1\.0-99-test-amd64$/m,
    );
  });

  it('completes image and kernel names from the running daemon', () => {
    const words = (args: string[]) =>
      ok(['complete', '--', ...args])
        .stdout.split('\n')
        .map((l) => l.split('\t')[0])
        .filter((w) => w && !w.startsWith(':'));
    expect(words(['image', 'show', ''])).toEqual(['host-a', 'host-b']);
    expect(words(['image', 'delete', 'host-'])).toEqual(['host-a', 'host-b']);
    expect(words(['kernel', 'delete', ''])).toEqual(['test-kernel']);
    expect(words(['kernel', 'pull', ''])).toEqual(['debian-bookworm-cloud']);
    expect(words(['image', 'register', 'x', '--kernel-ref', ''])).toEqual(['test-kernel']);
  });

  it('refuses bad input with one line and an exit code, creating nothing', () => {
    const before = listJson();
    const rootfs = join(files, 'rootfs.ext4');
    expect(
      fails(['image', 'register', 'Bad_Name', '--rootfs', rootfs, '--kernel-ref', 'test-kernel'], 2),
    ).toMatch(/^banger: invalid image name "Bad_Name"/);
    expect(
      fails(
        ['image', 'register', 'x', '--rootfs', join(files, 'nope.ext4'), '--kernel-ref', 'test-kernel'],
        4,
      ),
    ).toBe(`banger: rootfs file ${join(files, 'nope.ext4')} does not exist`);
    expect(fails(['image', 'register', 'x', '--rootfs', rootfs, '--kernel-ref', 'no-such-kernel'], 4)).toBe(
      'banger: no kernel named no-such-kernel; see `banger kernel list --available`',
    );
    expect(
      fails(['image', 'register', 'x', '--rootfs', rootfs, '--kernel-ref', 'debian-bookworm-cloud'], 4),
    ).toBe(
      'banger: kernel debian-bookworm-cloud is not pulled; run `banger kernel pull debian-bookworm-cloud`',
    );
    expect(fails(['image', 'register', 'x', '--rootfs', rootfs], 2)).toMatch(
      /--kernel-ref NAME or --kernel VMLINUX/,
    );
    expect(
      fails(
        [
          'image',
          'register',
          'x',
          '--rootfs',
          rootfs,
          '--kernel',
          join(files, 'vmlinux'),
          '--kernel-ref',
          'test-kernel',
        ],
        2,
      ),
    ).toMatch(/either --kernel-ref NAME or --kernel/);
    expect(
      fails(['image', 'register', 'x', '--rootfs', rootfs, '--kernel', join(files, 'vmlinux')], 2),
    ).toMatch(/needs --initrd/);
    expect(fails(['image', 'register', 'x', '--rootfs', files, '--kernel-ref', 'test-kernel'], 2)).toMatch(
      /is not a regular file/,
    );
    expect(
      fails(['image', 'register', 'host-a', '--rootfs', rootfs, '--kernel-ref', 'test-kernel'], 5),
    ).toMatch(/an image named "host-a" already exists/);
    expect(fails(['image', 'show', 'nope'], 4)).toBe(
      'banger: no image named "nope"; see `banger image list`, or make it with `banger image pull` or `banger image build`',
    );
    expect(fails(['image', 'delete', 'NOPE'], 2)).toMatch(/invalid image name/);
    expect(fails(['image', 'build', '--size', 'lots'], 2)).toMatch(/invalid image size "lots"/);
    expect(fails(['image', 'build', '--size', '1M'], 2)).toMatch(/at least 512M/);
    expect(fails(['image', 'build', '--name', 'No_Good'], 2)).toMatch(/invalid image name "No_Good"/);
    expect(fails(['image', 'build', '--packages', join(files, 'nope.txt')], 4)).toBe(
      `banger: package list ${join(files, 'nope.txt')} does not exist`,
    );
    expect(fails(['image', 'pull', 'Not A Ref'], 2)).toMatch(/invalid image reference/);
    expect(listJson()).toEqual(before);
    expect(existsSync(pathsOf(sb).imagesDir)).toBe(false);
  });

  it('refuses to delete an image a VM uses, naming the VM, and keeps registered files on delete', () => {
    const db = openDatabase(pathsOf(sb).database);
    const vms = new VmRepository(db);
    const vm = vms.create(
      {
        id: newVmId(),
        name: 'devbox',
        image: 'host-a',
        vcpu: 1,
        memoryMib: 512,
        diskBytes: 1024 ** 3,
        nat: false,
      },
      { cidr: '172.16.0.0/24', gateway: '172.16.0.1' },
    );
    try {
      expect(fails(['image', 'delete', 'host-a'], 5)).toBe(
        'banger: image host-a is used by VM devbox; delete it first',
      );
      expect(showJson('host-a').usedBy).toEqual(['devbox']);
    } finally {
      vms.delete(vm.id);
      db.close();
    }
    expect(ok(['image', 'delete', 'host-a']).stderr).toBe('image host-a deleted\n');
    expect(existsSync(join(files, 'rootfs.ext4'))).toBe(true);
    expect(listJson().map((i) => i.name)).toEqual(['host-b']);
  });

  it('promotes a registered image into managed storage, and delete then removes the copies', () => {
    ok(['image', 'promote', 'host-b']);
    const promoted = showJson('host-b');
    const dir = join(pathsOf(sb).imagesDir, 'host-b');
    expect(promoted).toMatchObject({
      managed: true,
      rootfs: join(dir, 'rootfs.ext4'),
      kernel: {
        kind: 'files',
        vmlinux: join(dir, 'kernel', 'vmlinux'),
        initrd: join(dir, 'kernel', 'initrd.img'),
        modulesDir: join(dir, 'kernel', 'modules'),
        version: '6.1.0-42-cloud-amd64',
      },
    });
    expect(readdirSync(dir).sort()).toEqual(['kernel', 'rootfs.ext4']);
    expect(fails(['image', 'promote', 'host-b'], 5)).toMatch(/managed already/);
    expect(readdirSync(pathsOf(sb).tmpDir)).toEqual([]);
    ok(['image', 'delete', 'host-b']);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(files, 'rootfs.ext4'))).toBe(true);
  });
});

describe('kernel verbs', () => {
  it('lists, shows and deletes kernel sets; delete is refused while an image uses one', () => {
    const kernels = kernelInfo.array().parse(JSON.parse(ok(['kernel', 'list', '--json']).stdout));
    expect(kernels.map((k) => [k.name, k.version])).toEqual([['test-kernel', SYNTHETIC_VERSION]]);
    const shown = kernelInfo.parse(JSON.parse(ok(['kernel', 'show', 'test-kernel', '--json']).stdout));
    expect(shown.initrdModules).toEqual(expect.arrayContaining(['virtio_blk', 'overlay']));
    expect(ok(['kernel', 'list']).stdout).toMatch(/^test-kernel +6\.1\.0-99-test-amd64 +- +\d{4}-/m);

    const available = availableKernels.shape.kernels.parse(
      JSON.parse(ok(['kernel', 'list', '--available', '--json']).stdout),
    );
    expect(available).toEqual([expect.objectContaining({ name: 'debian-bookworm-cloud', pulled: false })]);

    ok([
      'image',
      'register',
      'uses-kernel',
      '--rootfs',
      join(files, 'rootfs.ext4'),
      '--kernel-ref',
      'test-kernel',
    ]);
    expect(fails(['kernel', 'delete', 'test-kernel'], 5)).toBe(
      'banger: kernel test-kernel is used by image uses-kernel; delete it first',
    );
    ok(['image', 'delete', 'uses-kernel']);
    expect(fails(['kernel', 'pull', 'nope'], 4)).toMatch(/no kernel named nope in the catalog/);
    expect(fails(['kernel', 'show', 'nope'], 4)).toMatch(/no kernel named nope/);
    ok(['kernel', 'delete', 'test-kernel']);
    expect(existsSync(join(pathsOf(sb).kernelsDir, 'test-kernel'))).toBe(false);
    expect(fails(['kernel', 'delete', 'test-kernel'], 4)).toMatch(/no kernel named test-kernel/);
  });
});
