import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../../domain/errors.js';

/** Thrown when content does not hash to the digest it was asked for. */
export class DigestMismatchError extends AppError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    what: string,
  ) {
    super('operation_failed', `${what}: content of ${expected} hashes to ${actual}`, {
      details: { expected, actual },
    });
    this.name = 'DigestMismatchError';
  }
}

/**
 * A pass-through that hashes what flows through it and fails the stream at
 * its end when the content does not match `expected`. Consumers must
 * therefore treat the data as untrusted until the stream ended without error.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  /** `mismatch` builds the error for a wrong digest; by default a DigestMismatchError. */
  constructor(
    private readonly expected: string,
    what: string,
    private readonly mismatch: (actual: string) => Error = (actual) =>
      new DigestMismatchError(expected, actual, what),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = `sha256:${this.hash.digest('hex')}`;
    done(actual === this.expected ? null : this.mismatch(actual));
  }
}
