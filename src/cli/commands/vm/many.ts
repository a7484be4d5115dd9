import { AppError, toAppError } from '../../../domain/errors.js';

/**
 * Runs one action per VM ref concurrently; each reports its own result
 * (`done(ref, value)` on stdout, failures as `banger: <ref>: message` on
 * stderr). Fails with the first failure's code when any failed, after all finished.
 */
export async function forEachRef<T>(
  refs: readonly string[],
  action: (ref: string) => Promise<T>,
  done: (ref: string, value: T) => void,
): Promise<void> {
  const results = await Promise.allSettled(refs.map(action));
  let firstFailure: AppError | undefined;
  results.forEach((result, i) => {
    const ref = refs[i] ?? '';
    if (result.status === 'fulfilled') {
      done(ref, result.value);
      return;
    }
    const err = toAppError(result.reason);
    firstFailure ??= err;
    if (refs.length > 1) process.stderr.write(`banger: ${ref}: ${err.message}\n`);
  });
  if (firstFailure) {
    if (refs.length === 1) throw firstFailure;
    const failed = results.filter((r) => r.status === 'rejected').length;
    throw new AppError(firstFailure.code, `${failed} of ${refs.length} VMs failed (see above)`);
  }
}
