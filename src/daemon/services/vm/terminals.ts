import type { Duplex } from 'node:stream';
import { AppError } from '../../../domain/errors.js';
import type { VmService } from './vm-service.js';

/** How long opening or resizing a terminal may take the guest agent. */
const TERMINAL_TIMEOUT_MS = 10_000;

/** A terminal's size in character cells; the agent takes 1 to 1000 each way. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** An open terminal in a guest: its bytes both ways on `stream`, until either side closes it. */
export interface OpenTerminal {
  /** The VM's name, for messages. */
  vm: string;
  /** The agent's name for the terminal (`pts/3`), which `resize` needs. */
  pty: string;
  stream: Duplex;
}

/**
 * Browser terminals (the web UI's): a shell on a pseudo-terminal in a
 * running VM, opened by its guest agent (`pty_open`, docs/guest-agent.md).
 * The connection is the terminal: destroying `stream` makes the agent hang
 * the shell up (SIGHUP to its process group). Nothing is kept here.
 */
export class TerminalService {
  constructor(private readonly vms: VmService) {}

  /** Rejects with one line fit for the user: the VM is not running, or its agent does not answer. */
  async open(ref: string, size: TerminalSize): Promise<OpenTerminal> {
    const vm = this.runningVm(ref);
    let opened: Awaited<ReturnType<VmService['deps']['agent']['openStream']>>;
    try {
      opened = await this.vms.deps.agent.openStream(
        this.vms.vmDir(vm.id),
        { op: 'pty_open', cols: size.cols, rows: size.rows },
        TERMINAL_TIMEOUT_MS,
      );
    } catch (err) {
      throw classify(err, vm.name);
    }
    const { response, stream } = opened;
    if (typeof response.pty !== 'string') {
      stream.destroy();
      throw new AppError('operation_failed', 'the guest agent opened a terminal but did not name it');
    }
    return { vm: vm.name, pty: response.pty, stream };
  }

  /** Sets the terminal's size; the kernel tells the shell (SIGWINCH). */
  async resize(ref: string, pty: string, size: TerminalSize): Promise<void> {
    const vm = this.runningVm(ref);
    try {
      await this.vms.deps.agent.request(
        this.vms.vmDir(vm.id),
        { op: 'pty_resize', pty, cols: size.cols, rows: size.rows },
        TERMINAL_TIMEOUT_MS,
      );
    } catch (err) {
      throw classify(err, vm.name);
    }
  }

  /** Typing in a terminal is using the VM (auto_stop_stale_after). Never throws: a deleted VM is no one's activity. */
  touch(ref: string): void {
    try {
      this.vms.activity.touch(this.vms.deps.repo.resolve(ref).id);
    } catch {
      // the VM is gone; its terminal ends with it
    }
  }

  private runningVm(ref: string): { id: string; name: string } {
    const vm = this.vms.deps.repo.resolve(ref);
    if (!this.vms.runtime.get(vm.id)) {
      throw new AppError(
        'conflict',
        `VM ${vm.name} is not running; start it with \`banger vm start ${vm.name}\``,
      );
    }
    this.vms.activity.touch(vm.id);
    return vm;
  }
}

function classify(err: unknown, vmName: string): AppError {
  if (!(err instanceof AppError)) throw err;
  // The agent's own refusal (too many terminals, no shell) is already one line for the user.
  if (typeof err.details?.agentError === 'string')
    return new AppError('operation_failed', err.details.agentError);
  return new AppError(
    err.code === 'timeout' ? 'timeout' : 'operation_failed',
    `the guest agent of VM ${vmName} is not answering (${err.message}); the terminal needs it: see \`banger vm show ${vmName}\``,
  );
}
