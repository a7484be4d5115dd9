import { readdir, readFile, stat } from 'node:fs/promises';

/**
 * Kills this user's processes whose command line mentions `pathPrefix`
 * (e.g. an mmdebstrap a killed daemon started on a staging dir), so they do
 * not keep writing into directories about to be removed. SIGKILL, then waits
 * up to `waitMs` for them to be gone. Returns the pids killed.
 */
export async function killProcessesUsing(pathPrefix: string, waitMs = 5000): Promise<number[]> {
  const uid = process.getuid?.();
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const [cmdline, st] = await Promise.all([readFile(`/proc/${pid}/cmdline`), stat(`/proc/${pid}`)]);
      if (uid !== undefined && st.uid !== uid) continue;
      if (
        cmdline
          .toString('utf8')
          .split('\0')
          .some((arg) => arg.includes(pathPrefix))
      )
        pids.push(pid);
    } catch {
      // the process exited meanwhile
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + waitMs;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids;
}
