import { chmodSync, closeSync, openSync, writeSync } from 'node:fs';

/**
 * The full build log (tool output, stage lines), appended to a 0600 file.
 * Writes are synchronous so nothing is lost when a build fails or the
 * process is killed right after a line; `close` is idempotent.
 */
export class BuildLog {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o600);
    chmodSync(path, 0o600);
  }

  write(text: string | Buffer): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, typeof text === 'string' ? Buffer.from(text) : text);
  }

  line(text: string): void {
    this.write(`[${new Date().toISOString()}] ${text}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
