// Small readers of /proc/<pid>: what banger needs to recognise a process it
// started (start time, command line) and to report its resource use. Every
// reader returns undefined when the process does not exist (or vanished
// while being read), never throws for that.
import { readFileSync } from 'node:fs';

/**
 * Clock ticks per second in /proc/<pid>/stat. This is the kernel's USER_HZ,
 * which is part of the userspace ABI and fixed at 100 on x86_64 whatever
 * CONFIG_HZ the kernel was built with.
 */
export const USER_HZ = 100;

/** The fields of /proc/<pid>/stat banger uses. */
export interface ProcStat {
  pid: number;
  /** The executable's name (field 2, without the parentheses; truncated to 15 bytes by the kernel). */
  comm: string;
  /** Field 3: R, S, D, Z (zombie), T, X... */
  state: string;
  ppid: number;
  /** Field 14, user-mode CPU time in clock ticks. */
  utimeTicks: number;
  /** Field 15, kernel-mode CPU time in clock ticks. */
  stimeTicks: number;
  /** Field 22, when the process started, in clock ticks after boot. Stable for the life of the process. */
  startTime: number;
  /** Field 24, resident set size in pages. */
  rssPages: number;
}

/**
 * Parses the text of /proc/<pid>/stat. The command name (field 2) may contain
 * spaces and parentheses, so the fields after it are split from the last ')'.
 * Returns undefined for text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => Number(rest[n - 3]);
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: field(4),
    utimeTicks: field(14),
    stimeTicks: field(15),
    startTime: field(22),
    rssPages: field(24),
  };
  const numbers = [stat.pid, stat.ppid, stat.utimeTicks, stat.stimeTicks, stat.startTime, stat.rssPages];
  return numbers.every(Number.isSafeInteger) && stat.state !== '' ? stat : undefined;
}

function readProc(pid: number, file: string): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

export function readProcStat(pid: number): ProcStat | undefined {
  const text = readProc(pid, 'stat');
  return text === undefined ? undefined : parseProcStat(text);
}

/** The process's argv (/proc/<pid>/cmdline, NUL-separated); empty for a zombie or kernel thread. */
export function readProcCmdline(pid: number): string[] | undefined {
  const text = readProc(pid, 'cmdline');
  if (text === undefined) return undefined;
  const args = text.split('\0');
  if (args.at(-1) === '') args.pop();
  return args;
}

/** Resident memory in bytes from /proc/<pid>/status (VmRSS, in kB); 0 when the line is absent (zombie). */
export function readProcRssBytes(pid: number): number | undefined {
  const text = readProc(pid, 'status');
  if (text === undefined) return undefined;
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** True while `pid` exists and is not a zombie (an exited child its parent has not reaped yet). */
export function processRunning(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}
