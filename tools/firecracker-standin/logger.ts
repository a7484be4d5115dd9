// Firecracker-style log lines ("<time> [<id>:<thread>:<LEVEL>] message") to
// stdout until --log-path or PUT /logger names a file, like Firecracker. Also
// the metrics file, written on FlushMetrics and once a minute after boot.
import { closeSync, constants, openSync, writeSync } from 'node:fs';

const LEVELS = ['Off', 'Error', 'Warning', 'Info', 'Debug', 'Trace'] as const;
export type Level = (typeof LEVELS)[number];

export function parseLevel(text: string): Level | undefined {
  return LEVELS.find(
    (l) => l.toLowerCase() === text.toLowerCase() || (text.toLowerCase() === 'warn' && l === 'Warning'),
  );
}

/**
 * Opens an existing file or FIFO the way Firecracker opens its log and
 * metrics targets (utils `open_file_nonblock`: read + write + O_NONBLOCK):
 * no O_APPEND and no O_TRUNC, so writes start at offset 0 over whatever the
 * file holds and go on from this process's own offset; a file shortened
 * under it gets a hole (NUL bytes) up to that offset at the next write. No
 * O_CREAT: Firecracker 1.8 needs the file to exist (newer sources of
 * utils/mod.rs add create(true); the stand-in keeps the stricter rule).
 * Throws the Node error (ENOENT...) for the caller to word.
 */
export function openTarget(path: string): number {
  return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
}

function timestamp(): string {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  const nanos = String(now.getMilliseconds() * 1_000_000 + Math.floor(Math.random() * 1_000_000)).padStart(
    9,
    '0',
  );
  return `${local}.${nanos}`;
}

export class Logger {
  private fd = 1;
  private level: Level = 'Info';
  private showLevel = false;

  constructor(private id: string) {}

  /** The instance id is known only after the arguments are parsed. */
  setId(id: string): void {
    this.id = id;
  }

  /** Points the log at a file (must exist) and/or changes the level; throws the open error. */
  configure(options: {
    path?: string | undefined;
    level?: Level | undefined;
    showLevel?: boolean | undefined;
  }): void {
    if (options.path !== undefined) {
      const fd = openTarget(options.path);
      if (this.fd !== 1) closeSync(this.fd);
      this.fd = fd;
    }
    if (options.level) this.level = options.level;
    if (options.showLevel !== undefined) this.showLevel = options.showLevel;
  }

  log(level: Exclude<Level, 'Off'>, thread: string, message: string): void {
    if (LEVELS.indexOf(level) > LEVELS.indexOf(this.level)) return;
    const tag = this.showLevel ? `:${level.toUpperCase()}` : '';
    try {
      writeSync(this.fd, `${timestamp()} [${this.id}:${thread}${tag}] ${message}\n`);
    } catch {
      // A full FIFO or a closed stdout must not take the VMM down; Firecracker drops the line too.
    }
  }

  error(thread: string, message: string): void {
    this.log('Error', thread, message);
  }

  warn(thread: string, message: string): void {
    this.log('Warning', thread, message);
  }

  info(thread: string, message: string): void {
    this.log('Info', thread, message);
  }

  debug(thread: string, message: string): void {
    this.log('Debug', thread, message);
  }
}

/** The metrics sink: one JSON object per line, a subset of Firecracker's metric groups. */
export class Metrics {
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  /** Counters the stand-in can honestly report; everything else Firecracker has is absent. */
  readonly counters = { put_api_requests: 0, patch_api_requests: 0, get_api_requests: 0, api_errors: 0 };

  get configured(): boolean {
    return this.fd !== undefined;
  }

  /** Opens the target (must exist); throws the open error. Callers enforce "only once". */
  configure(path: string): void {
    this.fd = openTarget(path);
  }

  flush(): void {
    if (this.fd === undefined) return;
    const line = {
      utc_timestamp_ms: Date.now(),
      api_server: { process_startup_time_us: 0 },
      get_api_requests: { count: this.counters.get_api_requests },
      put_api_requests: { count: this.counters.put_api_requests, errors: this.counters.api_errors },
      patch_api_requests: { count: this.counters.patch_api_requests },
      vmm: { uptime_ms: Date.now() - this.startedAt },
    };
    try {
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
    } catch {
      // Same policy as the logger: metrics are best effort.
    }
  }

  /** Firecracker writes metrics every 60 s once the guest runs. */
  startPeriodic(): void {
    this.timer ??= setInterval(() => this.flush(), 60_000);
    this.timer.unref();
  }
}
