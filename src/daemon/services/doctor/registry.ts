import type { DoctorCheck } from '../../../api/schemas.js';
import type { Config } from '../../../domain/config.js';
import type { PrivilegedOptions } from '../../../host/network/privileged.js';
import type { BangerPaths } from '../../../host/paths.js';
import type { Runner } from '../../../host/runner.js';

export interface DoctorContext {
  config: Config;
  paths: BangerPaths;
  runner: Runner;
  /** Where the daemon's DNS server listens (the daemon's context has it; absent in other callers). */
  dns?: { listening: string[] };
  /** How privileged commands would run; default: as this process (root or `sudo -n`). Tests override. */
  privileged?: PrivilegedOptions;
}

/**
 * One doctor check. `run` never throws: a problem is reported as `warn` or
 * `fail` with a one-line `fix`.
 */
export interface CheckDefinition {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Omit<DoctorCheck, 'id' | 'title'>> | Omit<DoctorCheck, 'id' | 'title'>;
}

/** Runs every check concurrently and keeps the registry's order in the report. */
export async function runChecks(
  checks: readonly CheckDefinition[],
  ctx: DoctorContext,
): Promise<DoctorCheck[]> {
  return Promise.all(
    checks.map(async (check) => {
      try {
        return { id: check.id, title: check.title, ...(await check.run(ctx)) };
      } catch (err) {
        return {
          id: check.id,
          title: check.title,
          status: 'fail' as const,
          detail: `check crashed: ${(err as Error).message}`,
          fix: 'report this as a banger bug',
        };
      }
    }),
  );
}
