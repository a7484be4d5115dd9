import type { Logger } from '../../../host/logger.js';

/**
 * TEST-ONLY fault seam: `BANGER_TEST_PAUSE` (comma-separated points, read at
 * daemon start) makes the daemon stop at those points for good, so a test can
 * kill -9 it at an exact moment of an operation and check what the next
 * daemon makes of it. Points: `<operation>:<step>` (before that step of a
 * create or start, like BANGER_FAILPOINTS) and `launch:spawned` (Firecracker
 * has been spawned, none of its API calls made). Reaching a point logs
 * `test pause` with the point, then never resolves. Unset, every point
 * resolves at once.
 */
export type TestPause = (point: string) => Promise<void>;

export function testPauseFromEnv(env: Record<string, string | undefined>, logger: Logger): TestPause {
  const points = new Set(
    (env.BANGER_TEST_PAUSE ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return async (point) => {
    if (!points.has(point)) return;
    logger.warn({ point }, 'test pause');
    await new Promise<never>(() => {});
  };
}
