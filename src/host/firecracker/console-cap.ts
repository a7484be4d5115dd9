// Keeps a VM's console.log under a size cap, so a chatty or hostile guest can
// never fill the host's disk. Its writer is Firecracker's stdout and stderr,
// which banger opened with O_APPEND (spawn.ts): after the file is truncated
// the next write lands at the new end, so the file can be shrunk in place
// under it, and a file never blocks the writer the way a full pipe would.
//
// Only files written through an O_APPEND descriptor may be capped this way.
// Firecracker opens its own log (firecracker.log) and metrics (metrics.json)
// read-write at offset 0 WITHOUT O_APPEND: shrinking one under it would leave
// a hole of NUL bytes up to its offset at its next write. Those two are never
// capped; the driver gives each run fresh ones instead (process-driver.ts).
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_CONSOLE_CAP_BYTES = 8 * 1024 * 1024;

/** A partial first line is dropped when a line break is this close to the cut. */
const LINE_SEARCH_BYTES = 4096;

export interface CapResult {
  /** Bytes removed from the front of the file (0 when it was under the cap or missing). */
  dropped: number;
  /** Bytes the file was left with: the marker and the kept tail (the writer may have added more since). */
  kept: number;
}

function readRange(fd: number, from: number, to: number): Buffer {
  const buf = Buffer.alloc(to - from);
  const n = readSync(fd, buf, 0, buf.length, from);
  return buf.subarray(0, n);
}

/**
 * When `path` is bigger than `maxBytes`, keeps only its newest `keepBytes`
 * (default half the cap, so capping does not run on every check), starting
 * at a line boundary when one is near, behind a one-line marker saying how
 * much was dropped. Safe while another process appends with O_APPEND;
 * never use it on a file whose writer does not append (see the top of this file).
 * Limits, by design: bytes appended in the few microseconds between the last
 * read and the truncate are lost (as is a line being written at that moment),
 * and bytes appended between the truncate and the rewrite land just before
 * the marker. A missing file is fine.
 */
export function capConsoleLog(
  path: string,
  maxBytes: number,
  keepBytes = Math.floor(maxBytes / 2),
): CapResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dropped: 0, kept: 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= maxBytes) return { dropped: 0, kept: size };
    const keep = Math.min(keepBytes, maxBytes);
    // Read from the cut to the current end, again while the writer keeps appending (bounded).
    const parts: Buffer[] = [];
    let pos = Math.max(0, size - keep);
    for (let round = 0; round < 8; round++) {
      const end = fstatSync(fd).size;
      if (end <= pos) break;
      const part = readRange(fd, pos, end);
      parts.push(part);
      pos += part.length;
    }
    let tail = Buffer.concat(parts);
    if (tail.length > keep) tail = tail.subarray(tail.length - keep);
    const nl = tail.subarray(0, LINE_SEARCH_BYTES).indexOf(0x0a);
    if (nl >= 0 && nl < tail.length - 1) tail = tail.subarray(nl + 1);
    const from = pos - tail.length;
    // The size can be seen in the middle of a write (a line crossing a page),
    // so a partial last line is dropped rather than glued to the writer's next one.
    const lastNl = tail.lastIndexOf(0x0a);
    if (lastNl >= 0 && tail.length - 1 - lastNl < LINE_SEARCH_BYTES) tail = tail.subarray(0, lastNl + 1);
    const marker = Buffer.from(
      `[banger: ${from} bytes of older output dropped to stay under ${maxBytes} bytes]\n`,
    );
    const kept = Buffer.concat([marker, tail]);
    ftruncateSync(fd, 0);
    writeSync(fd, kept);
    return { dropped: from, kept: kept.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * Caps a set of files periodically. The daemon adds a VM's console.log when
 * it starts the VM and removes it when it stops. Add only files whose writer
 * holds them with O_APPEND. The timer does not keep the process alive.
 */
export class ConsoleCap {
  private readonly files = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs = 2000,
    private readonly onError: (path: string, err: unknown) => void = () => {},
  ) {}

  add(path: string, maxBytes = DEFAULT_CONSOLE_CAP_BYTES): void {
    this.files.set(path, maxBytes);
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  /** Caps every file once; returns the total bytes dropped. Never throws (errors go to onError). */
  check(): number {
    let dropped = 0;
    for (const [path, maxBytes] of this.files) {
      try {
        dropped += capConsoleLog(path, maxBytes).dropped;
      } catch (err) {
        this.onError(path, err);
      }
    }
    return dropped;
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Puts a VM's console.log (at `consoleCapBytes`) under `cap`; call it when a
 * VM is launched or adopted, and the returned function when it has stopped.
 * firecracker.log and metrics.json are deliberately left out (see the top of
 * this file): they grow for the life of one run and start empty at the next.
 */
export function watchVmLogs(
  cap: ConsoleCap,
  vmDir: string,
  consoleCapBytes = DEFAULT_CONSOLE_CAP_BYTES,
): () => void {
  const path = join(vmDir, 'console.log');
  cap.add(path, consoleCapBytes);
  return () => cap.remove(path);
}
