import { isIPv4 } from 'node:net';
import { AppError } from '../../domain/errors.js';

/**
 * Where the DNS server gets `<name>.vm` addresses from. Called once per
 * query, synchronously, with no caching in between: whatever `lookup`
 * returns at that moment is the answer, so creates, renames and deletes are
 * visible to the very next query.
 *
 * Contract:
 * - `name` is one DNS label, already lower-cased (ASCII), matching
 *   `[a-z0-9_-]{1,63}`; names that cannot be a VM name never reach `lookup`.
 * - Return the VM's IPv4 address in dotted-quad form, or `undefined` when no
 *   VM has that name. Anything else is treated as a bug (SERVFAIL + warning).
 * - Must be cheap and must not block (a Map lookup or a prepared
 *   better-sqlite3 statement are both fine).
 */
export interface VmRecordSource {
  lookup(name: string): string | undefined;
}

/**
 * An in-memory record source the daemon can keep in step with its store:
 * call `set` on create/start, `rename` on rename and `delete` on delete.
 * Names are case-insensitive (stored lower-cased).
 */
export class VmRecordTable implements VmRecordSource {
  readonly #records = new Map<string, string>();

  constructor(entries: Iterable<readonly [name: string, ipv4: string]> = []) {
    this.replaceAll(entries);
  }

  lookup(name: string): string | undefined {
    return this.#records.get(name.toLowerCase());
  }

  /** Adds or updates the A record for `name`. */
  set(name: string, ipv4: string): void {
    if (!isIPv4(ipv4)) {
      throw new AppError('invalid_argument', `DNS record for "${name}": "${ipv4}" is not an IPv4 address`);
    }
    this.#records.set(name.toLowerCase(), ipv4);
  }

  /** Removes the record; returns whether there was one. */
  delete(name: string): boolean {
    return this.#records.delete(name.toLowerCase());
  }

  /** Moves the record from `from` to `to` in one step (no window where both or neither resolve). */
  rename(from: string, to: string): void {
    const ipv4 = this.#records.get(from.toLowerCase());
    if (ipv4 === undefined) throw new AppError('not_found', `no DNS record for "${from}" to rename`);
    this.#records.delete(from.toLowerCase());
    this.#records.set(to.toLowerCase(), ipv4);
  }

  /** Replaces every record, e.g. after reconcile on daemon start. Validates all before changing any. */
  replaceAll(entries: Iterable<readonly [name: string, ipv4: string]>): void {
    const next = new Map<string, string>();
    for (const [name, ipv4] of entries) {
      if (!isIPv4(ipv4)) {
        throw new AppError('invalid_argument', `DNS record for "${name}": "${ipv4}" is not an IPv4 address`);
      }
      next.set(name.toLowerCase(), ipv4);
    }
    this.#records.clear();
    for (const [name, ipv4] of next) this.#records.set(name, ipv4);
  }

  get size(): number {
    return this.#records.size;
  }

  /** A snapshot, sorted by name, for `daemon status` and tests. */
  entries(): Array<[name: string, ipv4: string]> {
    return [...this.#records.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}
