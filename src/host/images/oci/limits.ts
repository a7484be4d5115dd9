import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../../domain/errors.js';
import { formatSize } from '../../../domain/size.js';

/**
 * How much one pull may unpack. Layers are small on the wire but can
 * uncompress to anything (a gzip bomb), and a layer of millions of empty
 * files costs inodes and time without costing bytes; both would fill the
 * disk under the state directory before anything else noticed.
 */
export interface PullLimits {
  /** Uncompressed bytes of all layers together (their tar streams). */
  maxBytes: number;
  /** Tar entries of all layers together (files, directories, links, whiteouts). */
  maxEntries: number;
}

/** Far above any image a sandbox needs, far below what fills a disk by surprise. */
export const DEFAULT_PULL_LIMITS: PullLimits = { maxBytes: 32 * 1024 ** 3, maxEntries: 2_000_000 };

const NEXT_STEP =
  'the image was not pulled; use a smaller image (or tag), or build one with `banger image build`';

/** Counts what a pull unpacks against its limits; throws AppError invalid_argument when one is passed. */
export class PullBudget {
  private bytes = 0;
  private entries = 0;

  constructor(
    readonly limits: PullLimits,
    private readonly reference: string,
  ) {}

  /** Uncompressed bytes still allowed. */
  get remainingBytes(): number {
    return Math.max(0, this.limits.maxBytes - this.bytes);
  }

  /** Before any download: compressed layers already larger than the limit cannot fit uncompressed either. */
  checkCompressed(layerBytes: number): void {
    if (layerBytes > this.limits.maxBytes)
      throw this.tooBig(`its layers are ${formatSize(layerBytes)} compressed, more than`);
  }

  addBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) throw this.tooBig('its layers uncompress to more than');
  }

  addEntry(): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new AppError(
        'invalid_argument',
        `${this.reference} has too many files: its layers hold more than ${this.limits.maxEntries.toLocaleString('en-US')} entries, banger's limit for one pull; ${NEXT_STEP}`,
        { details: { limit: 'maxEntries', maxEntries: this.limits.maxEntries } },
      );
    }
  }

  /** A pass-through stream that counts bytes and fails, with the limit's AppError, once they pass it. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        try {
          this.addBytes(chunk.length);
        } catch (err) {
          done(err as Error);
          return;
        }
        done(null, chunk);
      },
    });
  }

  private tooBig(what: string): AppError {
    return new AppError(
      'invalid_argument',
      `${this.reference} is too large: ${what} ${formatSize(this.limits.maxBytes)}, banger's limit for one pull; ${NEXT_STEP}`,
      { details: { limit: 'maxBytes', maxBytes: this.limits.maxBytes } },
    );
  }
}
