// Runs the guest under qemu-system-x86_64 (see qemu-args.ts for the mapping).
//
// QEMU must never outlive the stand-in, even when the stand-in is SIGKILLed.
// Node cannot call prctl(PR_SET_PDEATHSIG) in a child, so QEMU is started
// through util-linux's `setpriv --pdeathsig KILL`, which sets it and execs
// QEMU: the kernel kills QEMU when the stand-in's main thread (the one that
// forked it) dies. QMP travels over a socketpair passed as fd 3, so no extra
// socket file is left behind.
//
// Guest power-off vs reboot, as on Firecracker: a guest power-off or halt
// leaves Firecracker running (no ACPI _S5; its FAQ: "the Firecracker process
// will remain alive"), with the vCPUs halted and the instance still "Running";
// a guest reboot (reboot=k, i8042 reset) ends it with status 0. QEMU runs with
// -no-reboot -no-shutdown, so both stop the VM instead of exiting, and the
// QMP SHUTDOWN event's reason tells them apart: guest-reset ends QEMU (`quit`),
// anything else (guest-shutdown) leaves it stopped and alive.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Accel, chooseAccel, hostTscKhz } from './accel.js';
import type { Guest } from './guest.js';
import type { Logger } from './logger.js';
import { qemuArgs } from './qemu-args.js';
import { Qmp } from './qmp.js';
import type { Resources } from './resources.js';
import type { VsockBackend } from './vsock.js';

const QEMU_ENV = 'BANGER_STANDIN_QEMU';
const QMP_FD = 3;
/** The vsock emulation's socketpair (vsock.ts), when a vsock is configured. */
const VSOCK_FD = 4;
const START_TIMEOUT_MS = 60_000;

export interface QemuGuestOptions {
  logger: Logger;
  qemuBin?: string;
  env?: NodeJS.ProcessEnv;
  /** Gets QEMU's end of the `banger.vsock` serial port when the VM has a vsock device. */
  vsock?: VsockBackend;
}

export class QemuGuest implements Guest {
  private child: ChildProcess | undefined;
  private qmp: Qmp | undefined;
  private listener: ((status: number) => void) | undefined;
  private readonly stderrTail: string[] = [];
  private readonly qemuBin: string;
  private readonly env: NodeJS.ProcessEnv;
  /** Set once InstanceStart succeeded: from then on QEMU's exit ends the stand-in. */
  private running = false;
  /** Set once the guest powered off: QEMU stays, stopped for good (`cont` would need a reset). */
  private poweredOff = false;
  accel: Accel | undefined;

  constructor(private readonly options: QemuGuestOptions) {
    this.env = options.env ?? process.env;
    this.qemuBin = options.qemuBin ?? this.env[QEMU_ENV] ?? 'qemu-system-x86_64';
  }

  /** The process id of QEMU (setpriv execs it, so it is the child's pid). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(resources: Resources): Promise<void> {
    await this.launch(resources, [], async (qmp) => {
      await qmp.execute('cont');
    });
  }

  /**
   * Builds the machine again from a snapshot's configuration and reads the
   * guest's memory and device state from `memPath` (QEMU's incoming
   * migration); the guest stays paused (-S), as Firecracker leaves a loaded one.
   */
  async restore(resources: Resources, memPath: string): Promise<void> {
    await this.launch(resources, ['-incoming', `exec:cat < ${shellQuote(memPath)}`], async (qmp) => {
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        const { status } = (await qmp.execute('query-status')) as { status: string };
        if (status === 'paused') return;
        if (status !== 'inmigrate') throw new Error(`the restored guest is ${status}, not paused`);
        if (Date.now() > deadline)
          throw new Error(`QEMU did not load ${memPath} within ${START_TIMEOUT_MS / 1000} s`);
        await sleep(50);
      }
    });
  }

  /**
   * Writes the paused guest's memory and device state to `memPath` (QEMU's
   * migration to a file) and leaves it paused, ready to resume.
   */
  async saveState(memPath: string): Promise<void> {
    const qmp = this.qmp;
    if (!qmp) throw new Error('no guest is running');
    // No throttle: the stream goes to a local file.
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 1024 * 1024 * 1024 * 1024 });
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(memPath)}` });
    for (;;) {
      const info = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (info.status === 'completed') return;
      if (info.status === 'failed' || info.status === 'cancelled')
        throw new Error(info['error-desc'] ?? `the migration to ${memPath} ${info.status}`);
      await sleep(50);
    }
  }

  /** Spawns QEMU (paused, -S) with `extraArgs`, waits for QMP, then `ready`; from then on QEMU's exit ends us. */
  private async launch(
    resources: Resources,
    extraArgs: string[],
    ready: (qmp: Qmp) => Promise<void>,
  ): Promise<void> {
    const log = this.options.logger;
    const accel = await chooseAccel(this.qemuBin, this.env);
    this.accel = accel;
    const tscKhz = accel === 'tcg' ? hostTscKhz(this.env) : undefined;
    const withVsock = resources.vsock !== undefined && this.options.vsock !== undefined;
    const args = [
      ...qemuArgs(resources, {
        accel,
        tscKhz,
        qmpFd: QMP_FD,
        ...(withVsock ? { vsockFd: VSOCK_FD } : {}),
      }),
      ...extraArgs,
    ];
    log.info('fc_vmm', `Starting the guest with QEMU (${accel}): ${this.qemuBin} ${args.join(' ')}`);
    const serialToStdout = !resources.serial?.serial_out_path;
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', this.qemuBin, ...args], {
      // The guest console goes where Firecracker's goes: our stdout (and our stdin feeds it).
      stdio: [
        serialToStdout ? 'inherit' : 'ignore',
        serialToStdout ? 'inherit' : 'ignore',
        'pipe',
        'pipe',
        ...(withVsock ? (['pipe'] as const) : []),
      ],
    });
    this.child = child;
    if (withVsock) this.options.vsock?.attachChannel(child.stdio[VSOCK_FD] as Duplex);
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`cannot run setpriv/QEMU: ${err.message}`));
      child.once('exit', (code, signal) => {
        resolve(this.describeExit(code, signal));
        if (this.running) this.ended(code, signal);
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.onStderr(text));
    const qmp = new Qmp(child.stdio[QMP_FD] as Duplex);
    this.qmp = qmp;
    qmp.onEvent((event, data) => this.onQmpEvent(event, data));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`QEMU did not answer on QMP within ${START_TIMEOUT_MS / 1000} s`),
        START_TIMEOUT_MS,
      );
    });
    try {
      const failure = await Promise.race([qmp.ready().then(() => undefined), exited, timedOut]);
      if (failure !== undefined) throw new Error(failure);
      const readyFailure = await Promise.race([ready(qmp).then(() => undefined), exited]);
      if (readyFailure !== undefined) throw new Error(readyFailure);
    } catch (err) {
      // A closed QMP socket is the symptom; QEMU's exit status (with its stderr) is the cause.
      const exitReason = await Promise.race([
        exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000)),
      ]);
      this.kill();
      const why = exitReason ?? (err instanceof Error ? err.message : String(err));
      throw new Error(this.stderrTail.length ? `${why}: ${this.stderrTail.join(' | ')}` : why);
    } finally {
      clearTimeout(timer);
    }
    this.running = true;
    if (child.exitCode !== null || child.signalCode !== null) this.ended(child.exitCode, child.signalCode);
  }

  private ended(code: number | null, signal: NodeJS.Signals | null): void {
    this.options.logger.info('fc_vmm', `Vmm is stopping: ${this.describeExit(code, signal)}`);
    // A guest reboot (through `quit`, see onQmpEvent) ends QEMU with status 0, as it ends Firecracker with 0.
    this.listener?.(code === 0 ? 0 : 1);
  }

  private onQmpEvent(event: string, data: unknown): void {
    if (event !== 'SHUTDOWN') return;
    const reason = (data as { reason?: unknown } | undefined)?.reason;
    const log = this.options.logger;
    if (guestShutdownEndsVmm(reason)) {
      log.info('fc_vmm', `The guest rebooted (${String(reason)}): ending the VMM, as Firecracker does`);
      this.qmp?.execute('quit').catch(() => this.kill());
      return;
    }
    this.poweredOff = true;
    log.info(
      'fc_vmm',
      `The guest powered off (${String(reason)}): its vCPUs are halted and the VMM keeps running, as Firecracker does`,
    );
  }

  async ctrlAltDel(): Promise<void> {
    await this.qmp?.execute('send-key', CTRL_ALT_DEL);
  }

  async pause(): Promise<void> {
    await this.qmp?.execute('stop');
  }

  async resume(): Promise<void> {
    // A powered-off guest's vCPUs stay halted on Firecracker whatever the API says; QEMU refuses `cont` then.
    if (this.poweredOff) return;
    await this.qmp?.execute('cont');
  }

  onExit(listener: (status: number) => void): void {
    this.listener = listener;
  }

  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    return signal ? `QEMU was killed by ${signal}` : `QEMU exited with status ${code}`;
  }

  private onStderr(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.options.logger.warn('qemu', line);
      this.stderrTail.push(line.trim());
      if (this.stderrTail.length > 5) this.stderrTail.shift();
    }
  }
}

/**
 * Firecracker's SendCtrlAltDel puts the Ctrl, Alt and Del make codes into its
 * i8042's buffer and raises the keyboard interrupt; QMP's send-key does the
 * same through QEMU's i8042 (then releases them, which Firecracker never
 * does; the kernel acts on the Del press either way).
 */
const CTRL_ALT_DEL = {
  keys: ['ctrl', 'alt', 'delete'].map((key) => ({ type: 'qcode', data: key })),
};

/**
 * Whether QEMU's SHUTDOWN event (reason from QMP's ShutdownCause) ends the
 * VMM: a guest reset does (with -no-reboot it arrives as a shutdown),
 * Firecracker exits on a guest reboot; a guest power-off does not.
 */
export function guestShutdownEndsVmm(reason: unknown): boolean {
  return reason === 'guest-reset';
}

/** One word for /bin/sh, which runs QEMU's `exec:` migration commands. */
function shellQuote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}
