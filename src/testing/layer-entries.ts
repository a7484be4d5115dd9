import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TarHeader } from '../host/images/oci/apply-entry.js';
import { RootTree } from '../host/images/oci/root-tree.js';

/** Fixtures for the LayerApplier tests: entries as tar-stream hands them over, and a root to apply them to. */

/** A tar header as tar-stream produces it; `extra` may also blank fields out, as odd archives do. */
export function tarHeader(
  name: string,
  extra: { [K in keyof TarHeader]?: TarHeader[K] | undefined } = {},
): TarHeader {
  return {
    name,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: new Date(1_000_000),
    ...extra,
  } as TarHeader;
}

/** An entry body; `state.resumed` tells whether the applier drained one it does not read. */
export function entryBody(content = '') {
  const stream = Readable.from(content ? [Buffer.from(content)] : []);
  const resume = stream.resume.bind(stream);
  const state = { resumed: false };
  return Object.assign(stream, {
    state,
    resume: () => {
      state.resumed = true;
      return resume();
    },
  });
}

/**
 * A RootTree in a fresh temp directory `tmp` (the caller removes it), nested
 * two levels below it: mutation testing runs these tests as root with the
 * containment checks broken, and an escaping `../x` or `../../x` must still
 * land inside `tmp`.
 */
export function nestedRootTree(prefix: string): { tmp: string; dir: string; tree: RootTree } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(tmp, 'a', 'root');
  mkdirSync(dir, { recursive: true });
  return { tmp, dir, tree: new RootTree(dir) };
}
