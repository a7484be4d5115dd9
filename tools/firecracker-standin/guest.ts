// What the state machine needs from "the thing that runs the guest": QEMU in
// normal mode, nothing at all in --no-guest mode.
import type { Resources } from './resources.js';

export interface Guest {
  /**
   * Boots the configured machine. Resolves once the guest is running;
   * rejects with an Error whose message says why it could not start (the
   * caller answers InstanceStart with it). Called at most once.
   */
  start(resources: Resources): Promise<void>;
  /**
   * Presses Ctrl+Alt+Del on the guest's PS/2 keyboard, as Firecracker's
   * SendCtrlAltDel does (the guest decides what follows); returns once the
   * keys are delivered.
   */
  ctrlAltDel(): Promise<void>;
  /**
   * Builds the machine from a loaded snapshot's configuration and the memory
   * file, left paused. Called at most once, instead of start().
   */
  restore(resources: Resources, memPath: string): Promise<void>;
  /** Writes the paused guest's memory and device state into `memPath` (already created empty). */
  saveState(memPath: string): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Registers the one listener told when a started guest has ended, with the stand-in's exit status. */
  onExit(listener: (status: number) => void): void;
  /** Stops the guest immediately (SIGKILL); synchronous and idempotent, safe in signal handlers. */
  kill(): void;
}

/**
 * --no-guest: the full API and state machine without a VM. After
 * InstanceStart the "guest" runs until SendCtrlAltDel, which it answers like a
 * guest that reboots on Ctrl+Alt+Del (status 0), or until the stand-in is signalled.
 */
export class NoGuest implements Guest {
  private listener: ((status: number) => void) | undefined;
  private started = false;
  /** Keeps the process alive while the "guest" runs, even with --no-api. */
  private keepAlive: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    this.started = true;
    this.keepAlive = setInterval(() => {}, 1 << 30);
  }

  async restore(): Promise<void> {
    await this.start();
  }

  /** Nothing runs: the snapshot's memory file stays the sparse file of the guest's size. */
  async saveState(): Promise<void> {}

  async ctrlAltDel(): Promise<void> {
    if (!this.started) return;
    // Let the API answer 204 first, as Firecracker does before the guest goes away.
    setTimeout(() => {
      clearInterval(this.keepAlive);
      this.listener?.(0);
    }, 50);
  }

  async pause(): Promise<void> {}

  async resume(): Promise<void> {}

  onExit(listener: (status: number) => void): void {
    this.listener = listener;
  }

  kill(): void {}
}
