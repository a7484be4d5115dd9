import { CONFIGURE_MARKER } from './guest-config.js';

export interface BootstrapEvent {
  stage: 'bootstrap' | 'configure';
  message: string;
}

/**
 * Turns mmdebstrap's --verbose output into progress: its `I:` lines, a
 * count of packages set up (throttled to one event per `intervalMs`), and
 * the `configure` stage when banger's customize hook starts. Feed it
 * chunks as they arrive; partial lines are kept until complete.
 */
export class BootstrapProgress {
  private pending = '';
  private setUp = 0;
  private lastCountAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly emit: (e: BootstrapEvent) => void,
    private readonly intervalMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  get packagesSetUp(): number {
    return this.setUp;
  }

  feed(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.line(line.trimEnd());
  }

  private line(line: string): void {
    if (line === CONFIGURE_MARKER) {
      this.emit({
        stage: 'configure',
        message: 'configuring the guest (sshd, host keys, units, machine-id)',
      });
      return;
    }
    // Hook announcements carry the whole script; the scripts are in the log already.
    if (line.startsWith('I: ') && !/^I: running --\w+-hook/.test(line)) {
      this.emit({ stage: 'bootstrap', message: line.slice(3) });
      return;
    }
    const setUp = /^Setting up ([^ :]+)/.exec(line);
    if (!setUp) return;
    this.setUp++;
    const t = this.now();
    if (t - this.lastCountAt < this.intervalMs) return;
    this.lastCountAt = t;
    this.emit({ stage: 'bootstrap', message: `${this.setUp} packages set up (now ${setUp[1]})` });
  }
}
