import { AppError } from '../../../domain/errors.js';
import type { IndexEntry } from './schemas.js';

/** banger boots x86_64 Firecracker guests, so it always wants this platform. */
export const WANTED_PLATFORM = { os: 'linux', architecture: 'amd64' } as const;

function describe(entry: IndexEntry): string {
  const p = entry.platform;
  if (!p) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Picks the linux/amd64 manifest from an index or manifest list. Among
 * several amd64 entries the one without a variant wins, then the first in
 * index order (registries list the preferred one first). Entries without a
 * platform (build attestations) are never chosen.
 */
export function selectPlatform(entries: readonly IndexEntry[], what: string): IndexEntry {
  const matches = entries.filter(
    (e) => e.platform?.os === WANTED_PLATFORM.os && e.platform.architecture === WANTED_PLATFORM.architecture,
  );
  const chosen = matches.find((e) => !e.platform?.variant) ?? matches[0];
  if (chosen) return chosen;
  const available = [...new Set(entries.map(describe))].join(', ') || 'none';
  throw new AppError(
    'not_found',
    `${what} has no linux/amd64 image (available platforms: ${available}). Pick a tag or digest that is built for linux/amd64.`,
  );
}
