// What bench:run watches while one `vm run` goes on, polling every few milliseconds: the new
// VM's console log (each line with the wall time it appeared; the file is held open, so it
// stays readable after `--rm` deletes the VM's directory) and the CLI's `ssh` child (when it
// appeared and when it was gone), from /proc.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

export interface ConsoleLine {
  /** Wall time (epoch ms) the line was first seen. */
  at: number;
  text: string;
}

export interface ProbeResult {
  console: ConsoleLine[];
  /** Wall times (epoch ms) the CLI's ssh child was first and last seen. */
  ssh?: { start: number; end: number };
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The CLI's process and its descendants, to a small depth (`ip netns exec` may sit on top). */
function sshRunning(rootPid: number): boolean {
  let level = [rootPid];
  for (let depth = 0; depth < 3 && level.length; depth++) {
    level = level.flatMap(children);
    if (level.some((p) => comm(p) === 'ssh')) return true;
  }
  return false;
}

/** Starts watching `vmsDir` for a VM directory not there now, and `pid()`'s ssh child. */
export function startProbe(vmsDir: string, pid: () => number | undefined, intervalMs = 10) {
  const before = new Set(existsSync(vmsDir) ? readdirSync(vmsDir) : []);
  const lines: ConsoleLine[] = [];
  let fd: number | undefined;
  let partial = '';
  let ssh: { start: number; end: number } | undefined;
  const buffer = Buffer.alloc(64 * 1024);

  const readConsole = (now: number) => {
    if (fd === undefined) {
      const dir = (existsSync(vmsDir) ? readdirSync(vmsDir) : []).find((d) => !before.has(d));
      if (!dir) return;
      try {
        fd = openSync(join(vmsDir, dir, 'console.log'), 'r');
      } catch {
        return; // not created yet
      }
    }
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n <= 0) break;
      const parts = (partial + buffer.subarray(0, n).toString('utf8')).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at: now, text });
    }
  };

  const poll = () => {
    const now = Date.now();
    readConsole(now);
    const p = pid();
    if (p === undefined) return;
    // The end is the last poll that saw it.
    if (sshRunning(p)) ssh = { start: ssh?.start ?? now, end: now };
  };
  const timer = setInterval(poll, intervalMs);

  return {
    stop(): ProbeResult {
      clearInterval(timer);
      poll();
      if (fd !== undefined) closeSync(fd);
      if (partial) lines.push({ at: Date.now(), text: partial });
      return { console: lines, ...(ssh ? { ssh } : {}) };
    },
  };
}
