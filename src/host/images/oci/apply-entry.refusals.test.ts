import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBody as body, tarHeader as header, nestedRootTree } from '../../../testing/layer-entries.js';
import { type ApplyOptions, LayerApplier, type TarHeader } from './apply-entry.js';
import type { RootTree } from './root-tree.js';

/** A real RootTree (src/testing/layer-entries.ts); entries are applied one by one as tar-stream would hand them over. */
let tmp: string;
let dir: string;
let tree: RootTree;
let logs: string[];

beforeEach(() => {
  ({ tmp, dir, tree } = nestedRootTree('banger-apply-refusals-'));
  logs = [];
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const LAYER = 'sha256:layer';

function applier(options: Partial<ApplyOptions> = {}): LayerApplier {
  return new LayerApplier(tree, LAYER, { chown: false, log: (m) => logs.push(m), ...options });
}

async function apply(a: LayerApplier, h: TarHeader, content = ''): Promise<void> {
  await a.apply(h, body(content));
}

/** The AppError an entry is refused with. */
async function refusal(
  a: LayerApplier,
  h: TarHeader,
): Promise<{ code: string; message: string; details: unknown }> {
  const err = await a.apply(h, body()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${h.name} should be refused`).toBeDefined();
  return err as { code: string; message: string; details: unknown };
}

describe('LayerApplier refusals', () => {
  it('refuses unsafe entries with invalid_argument, naming the layer, the entry and why', async () => {
    const a = applier();
    await apply(a, header('real'), 'r');
    await apply(a, header('link', { type: 'symlink', linkname: 'real' }));
    await apply(a, header('d/', { type: 'directory' }));
    const cases: [TarHeader, string][] = [
      [header('../x'), 'has a ".." component'],
      [header('/abs/x'), 'is an absolute path'],
      [header('etc/.wh.'), 'is a bare ".wh." whiteout'],
      [header('./', { type: 'file' }), 'is a file that would replace the root'],
      // A relative target: were the root really replaced, later entries written through it stay in `tmp`.
      [header('.', { type: 'symlink', linkname: 'elsewhere' }), 'is a symlink that would replace the root'],
      [
        header('s', { type: 'symlink', linkname: '../x' }),
        'is a symlink to "../x", which leaves the image root',
      ],
      [
        header('d/s', { type: 'symlink', linkname: '../../x' }),
        'is a symlink to "../../x", which leaves the image root',
      ],
      [header('s', { type: 'symlink', linkname: 'a\0b' }), 'is a symlink whose target has a NUL byte'],
      [
        header('h', { type: 'link', linkname: '../x' }),
        'is a hardlink to "../x", which has a ".." component',
      ],
      [
        header('h', { type: 'link', linkname: '/real' }),
        'is a hardlink to "/real", which is an absolute path',
      ],
      [header('h', { type: 'link', linkname: './' }), 'is a hardlink to the root'],
      [header('h', { type: 'link' }), 'is a hardlink to "", which has an empty name'],
      [
        header('h', { type: 'link', linkname: 'link/x' }),
        'is a hardlink to "link/x", which goes through "link", which is a symlink; writing through it is refused',
      ],
      [header('link/x'), 'goes through "link", which is a symlink; writing through it is refused'],
      [header('real/x', { type: 'directory' }), 'goes through "real", which is not a directory'],
    ];
    for (const [h, reason] of cases) {
      const err = await refusal(a, h);
      expect(err, h.name).toMatchObject({
        code: 'invalid_argument',
        message: `layer ${LAYER}: entry "${h.name}" ${reason}. The image is unsafe and was not pulled.`,
        details: { layer: LAYER, entry: h.name },
      });
    }
    expect(existing('')).toEqual(['d', 'link', 'real']);
  });

  it('refuses malformed entries with operation_failed', async () => {
    const a = applier();
    await apply(a, header('d/', { type: 'directory' }));
    const cases: [TarHeader, string][] = [
      [header('f/'), 'names a directory but is a file'],
      [header('f/.', { type: 'symlink', linkname: 'x' }), 'names a directory but is a symlink'],
      [header('s', { type: 'symlink', linkname: '' }), 'is a symlink with an empty target'],
      [header('s', { type: 'symlink' }), 'is a symlink with an empty target'],
      [
        header('h', { type: 'link', linkname: 'missing' }),
        'is a hardlink to "missing", which does not exist',
      ],
      [header('h', { type: 'link', linkname: 'd' }), 'is a hardlink to the directory "d"'],
    ];
    for (const [h, reason] of cases) {
      expect(await refusal(a, h), h.name).toMatchObject({
        code: 'operation_failed',
        message: `layer ${LAYER}: entry "${h.name}" ${reason}. The image is malformed and was not pulled.`,
      });
    }
    expect((await refusal(a, header('', { type: 'directory' }))).message).toContain('has an empty name');
  });

  it('reports a filesystem failure as operation_failed with the next step', async () => {
    rmSync(dir, { recursive: true });
    const err = await refusal(applier(), header('f'));
    expect(err).toMatchObject({ code: 'operation_failed' });
    expect(err.message).toMatch(
      /^layer sha256:layer: entry "f" could not be extracted: ENOENT.*\. Check free space and permissions under the work directory\.$/,
    );
  });

  it('drains the body of a refused file entry', async () => {
    const b = body('x');
    await expect(applier().apply(header('../x'), b)).rejects.toThrow();
    expect(b.state.resumed).toBe(true);
  });
});

/** Sorted names in a directory of the tree. */
function existing(rel: string): string[] {
  return readdirSync(join(dir, rel)).sort();
}
