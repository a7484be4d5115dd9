import { AppError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Parses "16G", "512M", "1024K" or a byte count (binary units). */
export function parseSize(text: string, what = 'size'): number {
  const m = /^([0-9]+)([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m)
    throw new AppError(
      'invalid_argument',
      `invalid ${what} "${text}"; use a number with K, M, G or T, e.g. 16G`,
    );
  // Stryker disable next-line StringLiteral: the unit group always takes part in the match ('' when absent)
  const bytes = Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) throw new AppError('invalid_argument', `${what} "${text}" is too large`);
  return bytes;
}

/** Formats bytes with the largest binary unit that divides evenly, else one decimal. */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const factor = UNITS[unit] ?? 1;
    if (bytes >= factor) {
      const value = bytes / factor;
      return Number.isInteger(value) ? `${value}${unit}` : `${value.toFixed(1)}${unit}`;
    }
  }
  return `${bytes}B`;
}
