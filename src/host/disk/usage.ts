import { stat } from 'node:fs/promises';

/**
 * How big a (sparse) disk file looks and how much host space it really
 * takes: apparent size vs allocated blocks (st_blocks × 512), for `vm stats`.
 */
export async function diskUsage(path: string): Promise<{ apparentBytes: number; allocatedBytes: number }> {
  const st = await stat(path);
  return { apparentBytes: st.size, allocatedBytes: st.blocks * 512 };
}
