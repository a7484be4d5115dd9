import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../domain/errors.js';

/** Where `npm run build` puts banger's guest agent, relative to dist/. */
const AGENT_IN_DIST = join('guest', 'banger-agent');

/**
 * banger's guest agent (docs/guest-agent.md), a static binary shipped in
 * dist/guest/ next to the bundles. Found from the calling module: the
 * daemon bundle lives in dist/ (a lazily loaded chunk in dist/chunks/), and
 * the sources, which tests run, four levels under the repository's root.
 */
export function agentBinaryPath(moduleUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let up = 0; up <= 4; up++) {
    for (const candidate of [join(dir, AGENT_IN_DIST), join(dir, 'dist', AGENT_IN_DIST)]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  throw new AppError(
    'host_unsupported',
    'the guest agent dist/guest/banger-agent is missing next to banger; rebuild banger with `npm run build` (it needs a C compiler: apt-get install build-essential)',
  );
}
