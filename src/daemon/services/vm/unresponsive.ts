import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Signs of life from a guest while `vm stop` waits for it to end after
 * Ctrl+Alt+Del. A guest that halted or powered off without rebooting
 * (`poweroff -ff`, an init without banger's power-off alias) leaves
 * Firecracker running with its vCPUs stopped: the key press reaches nothing,
 * and waiting the full stop timeout would only delay the SIGTERM.
 */
export interface GuestSigns {
  /** True when the guest agent answers now (bounded by its own timeout). */
  agentAnswers: () => Promise<boolean>;
  /** A value that changes whenever the guest writes to its console (size and mtime of console.log). */
  consoleMark: () => string;
}

export interface UnresponsiveWatch {
  /** Aborts once the guest is judged unresponsive. */
  signal: AbortSignal;
  /** Ends the watch (the stop is over); the signal then never aborts. */
  stop: () => void;
}

/**
 * Watches a guest whose agent answered earlier in this boot, and aborts its
 * signal when neither the agent answered nor the console moved for
 * `silentMs`, counted from the watch's start or the last sign. A guest
 * rebooting shows one or the other to the end: the agent lives until
 * systemd's final kill, and the kernel prints `reboot: Restarting system`
 * right after the disks are synced. A guest whose agent never answered is
 * not watched (the caller keeps its fixed wait): silence says nothing there.
 */
export function watchUnresponsive(
  signs: GuestSigns,
  opts: { silentMs: number; pollMs: number },
): UnresponsiveWatch {
  const verdict = new AbortController();
  const ended = new AbortController();
  void (async () => {
    let mark = signs.consoleMark();
    let lastSign = Date.now();
    while (!ended.signal.aborted) {
      const answered = await signs.agentAnswers().catch(() => false);
      if (ended.signal.aborted) return;
      const now = signs.consoleMark();
      if (answered || now !== mark) {
        lastSign = Date.now();
        mark = now;
      } else if (Date.now() - lastSign >= opts.silentMs) {
        verdict.abort();
        return;
      }
      await sleep(opts.pollMs, undefined, { signal: ended.signal }).catch(() => {});
    }
  })();
  return { signal: verdict.signal, stop: () => ended.abort() };
}
