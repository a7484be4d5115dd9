import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseProcStat, processRunning, readProcCmdline, readProcRssBytes, readProcStat } from './proc.js';

// A real line from a Firecracker-like process, with a hostile command name.
const LINE =
  '4242 (fire (cracker) x) S 1 4242 4242 0 -1 4194560 1510 0 0 0 37 12 0 0 20 0 3 0 987654 1181282304 6543 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0';

describe('parseProcStat', () => {
  it('splits the fields after the last parenthesis', () => {
    expect(parseProcStat(LINE)).toEqual({
      pid: 4242,
      comm: 'fire (cracker) x',
      state: 'S',
      ppid: 1,
      utimeTicks: 37,
      stimeTicks: 12,
      startTime: 987654,
      rssPages: 6543,
    });
  });

  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 comm S 1')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1 2')).toBeUndefined();
  });
});

describe('/proc readers', () => {
  it('read this process', () => {
    const stat = readProcStat(process.pid);
    expect(stat?.pid).toBe(process.pid);
    expect(stat?.ppid).toBe(process.ppid);
    expect(readProcCmdline(process.pid)?.length).toBeGreaterThan(0);
    expect(readProcRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
    expect(processRunning(process.pid)).toBe(true);
  });

  it('give undefined for a process that does not exist', () => {
    expect(readProcStat(0)).toBeUndefined();
    expect(readProcStat(2 ** 30)).toBeUndefined();
    expect(readProcCmdline(-1)).toBeUndefined();
    expect(processRunning(2 ** 30)).toBe(false);
  });

  it('see the NUL-separated argv and the start time of a child', async () => {
    const child = spawn('sh', ['-c', 'sleep 30; :', 'a b']);
    await new Promise((r) => child.once('spawn', r));
    try {
      const pid = child.pid ?? 0;
      // exec may not have happened yet right after 'spawn'
      for (let i = 0; i < 50 && readProcCmdline(pid)?.[0] !== 'sh'; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(readProcCmdline(pid)).toEqual(['sh', '-c', 'sleep 30; :', 'a b']);
      const mine = readProcStat(process.pid)?.startTime ?? 0;
      expect(readProcStat(pid)?.startTime).toBeGreaterThanOrEqual(mine);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
