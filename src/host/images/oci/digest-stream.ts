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
 * its end (or as soon as it exceeds `maxBytes`) when the content does not
 * match `expected`. Consumers must therefore treat data as untrusted until
 * the stream has finished without error.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly expected: string,
    private readonly what: string,
    private readonly maxBytes?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== undefined && this.bytes > this.maxBytes) {
      done(
        new AppError(
          'operation_failed',
          `${this.what}: ${this.expected} is longer than the ${this.maxBytes} bytes its descriptor declares`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = `sha256:${this.hash.digest('hex')}`;
    done(actual === this.expected ? null : new DigestMismatchError(this.expected, actual, this.what));
  }
}
