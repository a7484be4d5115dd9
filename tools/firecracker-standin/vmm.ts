// The microVM state machine behind the API: which operations are allowed
// before and after InstanceStart (rpc_interface.rs: PrebootApiController and
// RuntimeApiController), and what each supported operation does.
import { closeSync, constants, openSync } from 'node:fs';
import { Cmdline } from './cmdline.js';
import { Fault, ioDebug, ioDisplay, msg } from './faults.js';
import type { Guest } from './guest.js';
import { type Logger, type Metrics, parseLevel } from './logger.js';
import {
  type BootSource,
  DEFAULT_KERNEL_CMDLINE,
  type DriveConfig,
  type MachineConfig,
  type NetConfig,
  type Resources,
  type VsockConfig,
} from './resources.js';
import type { Routed } from './routes.js';
import { type CreateParams, type LoadParams, loadSnapshot, memoryPath, writeSnapshot } from './snapshot.js';
import type { VsockBackend } from './vsock.js';

export type VmState = 'Not started' | 'Running' | 'Paused';
export type Reply = { status: 200; body: unknown } | { status: 204 };

/** Operations Firecracker accepts only before InstanceStart; after it they get `postBoot`. */
const PRE_BOOT = new Set([
  'putGuestBootSource',
  'putLogger',
  'putMetrics',
  'putSerialDevice',
  'putGuestDriveByID',
  'putGuestNetworkInterfaceByID',
  'putGuestPmemByID',
  'loadSnapshot',
  'putBalloon',
  'putGuestVsock',
  'putMmdsConfig',
  'putEntropyDevice',
  'putMemoryHotplug',
  'putCpuConfiguration',
  'putMachineConfiguration',
  'patchMachineConfiguration',
]);

/**
 * Pre-boot operations that commit Firecracker to booting rather than loading a
 * snapshot (its `boot_path`): every pre-boot one but the logger, the metrics
 * and the load itself. After any of them, even a refused one, a load is refused.
 */
const BOOT_PATH = new Set(
  [...PRE_BOOT].filter((id) => !['putLogger', 'putMetrics', 'loadSnapshot'].includes(id)),
);

/** Operations Firecracker accepts only after InstanceStart; before it they get `preBoot`. */
const POST_BOOT = new Set([
  'createSnapshot',
  'patchVm',
  'describeBalloonStats',
  'getMemoryHotplug',
  'patchBalloon',
  'patchBalloonStatsInterval',
  'patchGuestDriveByID',
  'patchMemoryHotplug',
  'patchGuestNetworkInterfaceByID',
  'startBalloonHinting',
  'describeBalloonHinting',
  'stopBalloonHinting',
]);

export interface VmmDeps {
  id: string;
  version: string;
  resources: Resources;
  guest: Guest;
  logger: Logger;
  metrics: Metrics;
  vsock: VsockBackend;
  /** True when the stand-in runs QEMU; PATCH of a drive's file is only emulated without a guest. */
  realGuest: boolean;
  /** Ends the process with `status` once the current answer is sent (Firecracker after a failed snapshot load). */
  fatal?: (status: number) => void;
}

/** Opens and closes a file the way Firecracker opens a kernel, initrd or drive; throws the Node error. */
function probeOpen(path: string, write: boolean): void {
  closeSync(openSync(path, write ? constants.O_RDWR : constants.O_RDONLY));
}

export class Vmm {
  state: VmState = 'Not started';
  private metricsInitialized = false;
  /** Set by the first boot-specific configuration call: from then on a snapshot load is refused. */
  private bootPath = false;

  constructor(private readonly deps: VmmDeps) {}

  /** Runs one routed request; throws a Fault for every answer other than 200/204. */
  async handle(routed: Routed): Promise<Reply> {
    const id = routed.op.operationId;
    const booted = this.state !== 'Not started';
    if (id === 'createSyncAction') return this.action(routed.body as { action_type: string });
    // The request parser's check, which comes before the VMM's.
    const memPath = id === 'loadSnapshot' ? memoryPath(routed.body as LoadParams) : '';
    if (booted && PRE_BOOT.has(id)) throw new Fault(msg.postBoot);
    if (!booted && POST_BOOT.has(id)) throw new Fault(msg.preBoot);
    const body = routed.body as Record<string, unknown>;
    const r = this.deps.resources;
    if (BOOT_PATH.has(id)) this.bootPath = true;
    switch (id) {
      case 'describeInstance':
        return ok({
          id: this.deps.id,
          state: this.state,
          vmm_version: this.deps.version,
          app_name: 'Firecracker',
        });
      case 'getFirecrackerVersion':
        return ok({ firecracker_version: this.deps.version });
      case 'getMachineConfiguration':
        return ok(r.machineView());
      case 'getExportVmConfig':
        return ok(r.exportConfig());
      case 'putMachineConfiguration': {
        const { smt = false, track_dirty_pages = false, huge_pages = 'None', ...rest } = body;
        r.updateMachine({
          ...(rest as Partial<MachineConfig>),
          smt,
          track_dirty_pages,
          huge_pages,
        } as MachineConfig);
        return done();
      }
      case 'patchMachineConfiguration':
        if (Object.keys(body).length === 0) throw new Fault(msg.emptyPatch);
        r.updateMachine(body as Partial<MachineConfig>);
        return done();
      case 'putGuestBootSource':
        return this.putBootSource(body as unknown as BootSource);
      case 'putGuestDriveByID':
        return this.putDrive(body as unknown as DriveConfig);
      case 'patchGuestDriveByID':
        return this.patchDrive(body as { drive_id: string; path_on_host?: string });
      case 'putGuestNetworkInterfaceByID':
        r.putNet(body as unknown as NetConfig);
        return done();
      case 'patchGuestNetworkInterfaceByID':
        r.patchNet(body as { iface_id: string });
        return done();
      case 'putGuestVsock':
        return this.putVsock(body as unknown as VsockConfig);
      case 'putSerialDevice':
        r.serial = {
          ...(typeof body.serial_out_path === 'string' ? { serial_out_path: body.serial_out_path } : {}),
        };
        return done();
      case 'putEntropyDevice':
        r.entropy = body;
        return done();
      case 'putLogger':
        return this.putLogger(body);
      case 'putMetrics':
        return this.putMetrics(String(body.metrics_path));
      case 'patchVm':
        return this.patchVm(String(body.state));
      case 'createSnapshot':
        return this.createSnapshot(body as unknown as CreateParams);
      case 'loadSnapshot':
        return this.loadSnapshot(body as unknown as LoadParams, memPath);
      default:
        throw new Fault(msg.notSupported(`${id} is not emulated by the banger Firecracker stand-in.`));
    }
  }

  /** --metrics-path counts as the one allowed metrics initialisation. */
  initMetrics(path: string): void {
    this.deps.metrics.configure(path);
    this.metricsInitialized = true;
  }

  private async action(body: { action_type: string }): Promise<Reply> {
    const booted = this.state !== 'Not started';
    switch (body.action_type) {
      case 'InstanceStart': {
        if (booted) throw new Fault(msg.postBoot);
        if (!this.deps.resources.bootSource) throw new Fault(msg.missingKernel);
        // Firecracker appends pci=off, root= and one virtio_mmio.device= per device; over 2048 bytes it refuses.
        this.deps.resources.firecrackerCmdline();
        try {
          await this.deps.guest.start(this.deps.resources);
        } catch (err) {
          throw new Fault(msg.startFailed(err instanceof Error ? err.message : String(err)));
        }
        this.state = 'Running';
        this.deps.metrics.startPeriodic();
        this.deps.logger.info('fc_vmm', 'Successfully started microvm');
        return done();
      }
      case 'SendCtrlAltDel':
        if (!booted) throw new Fault(msg.preBoot);
        await this.deps.guest.ctrlAltDel();
        return done();
      default: // FlushMetrics
        if (!booted) throw new Fault(msg.preBoot);
        this.deps.metrics.flush();
        return done();
    }
  }

  private putBootSource(cfg: BootSource): Reply {
    try {
      probeOpen(cfg.kernel_image_path, false);
    } catch (err) {
      throw new Fault(msg.kernelOpen(ioDisplay(err)));
    }
    if (cfg.initrd_path !== undefined) {
      try {
        probeOpen(cfg.initrd_path, false);
      } catch (err) {
        throw new Fault(msg.initrdOpen(ioDisplay(err)));
      }
    }
    // linux-loader's Cmdline::try_from: the size is checked here, the characters are not.
    try {
      Cmdline.tryFrom(cfg.boot_args ?? DEFAULT_KERNEL_CMDLINE);
    } catch (err) {
      throw new Fault(msg.bootArgs(err instanceof Error ? err.message : String(err)));
    }
    this.deps.resources.bootSource = cfg;
    return done();
  }

  private putDrive(cfg: DriveConfig): Reply {
    if (cfg.socket !== undefined)
      throw new Fault(msg.notSupported('vhost-user block devices are not emulated.'));
    const path = cfg.path_on_host ?? '';
    try {
      probeOpen(path, cfg.is_read_only !== true);
    } catch (err) {
      throw new Fault(msg.driveOpen(ioDebug(err), path));
    }
    this.deps.resources.putDrive(cfg);
    return done();
  }

  private patchDrive(update: { drive_id: string; path_on_host?: string }): Reply {
    const current = this.deps.resources.drives.find((d) => d.drive_id === update.drive_id);
    const newPath = update.path_on_host;
    if (current && newPath !== undefined && newPath !== current.path_on_host) {
      if (this.deps.realGuest) {
        throw new Fault(
          msg.notSupported('swapping the backing file of a running drive is not emulated under QEMU.'),
        );
      }
      try {
        probeOpen(newPath, current.is_read_only !== true);
      } catch (err) {
        throw new Fault(msg.driveOpen(ioDebug(err), newPath));
      }
    }
    this.deps.resources.patchDrive(update);
    return done();
  }

  private async putVsock(cfg: VsockConfig): Promise<Reply> {
    try {
      await this.deps.vsock.bind(cfg.uds_path);
    } catch (err) {
      throw new Fault(msg.vsockBind(ioDisplay(err)));
    }
    this.deps.resources.vsock = { guest_cid: cfg.guest_cid, uds_path: cfg.uds_path };
    return done();
  }

  private putLogger(body: Record<string, unknown>): Reply {
    const path = typeof body.log_path === 'string' ? body.log_path : undefined;
    try {
      this.deps.logger.configure({
        path,
        level: typeof body.level === 'string' ? parseLevel(body.level) : undefined,
        showLevel: typeof body.show_level === 'boolean' ? body.show_level : undefined,
      });
    } catch (err) {
      throw new Fault(msg.loggerOpen(ioDisplay(err)));
    }
    return done();
  }

  private putMetrics(path: string): Reply {
    if (this.metricsInitialized) throw new Fault(msg.metricsTwice);
    try {
      this.initMetrics(path);
    } catch (err) {
      throw new Fault(msg.metricsOpen(ioDisplay(err)));
    }
    return done();
  }

  private async createSnapshot(params: CreateParams): Promise<Reply> {
    if (params.snapshot_type === 'Diff' && !this.deps.resources.machine.track_dirty_pages)
      throw new Fault(msg.notSupported(msg.diffNeedsDirtyTracking));
    // Firecracker's vCPUs refuse to save their state while they run.
    if (this.state !== 'Paused') throw new Fault(msg.createWhileRunning);
    writeSnapshot(params, this.deps.resources, !this.deps.realGuest);
    await this.deps.guest.saveState(params.mem_file_path).catch((err: unknown) => {
      throw new Fault(msg.memoryWrite(err instanceof Error ? err.message : String(err)));
    });
    this.deps.logger.info('fc_vmm', `Snapshot written to ${params.snapshot_path}`);
    return done();
  }

  private async loadSnapshot(params: LoadParams, memPath: string): Promise<Reply> {
    if (this.bootPath) throw new Fault(msg.loadNotAllowed);
    try {
      loadSnapshot(params, memPath, this.deps.resources);
      const vsock = this.deps.resources.vsock;
      if (vsock)
        await this.deps.vsock.bind(vsock.uds_path).catch((err: unknown) => {
          throw new Fault(msg.loadState(msg.vsockBind(ioDisplay(err))));
        });
      await this.deps.guest.restore(this.deps.resources, memPath).catch((err: unknown) => {
        throw new Fault(msg.loadBuild(err instanceof Error ? err.message : String(err)));
      });
      if (params.resume_vm === true) await this.deps.guest.resume();
    } catch (err) {
      // Firecracker cannot go on after a failed restore: it answers, then exits.
      this.deps.fatal?.(1);
      throw err;
    }
    this.state = params.resume_vm === true ? 'Running' : 'Paused';
    this.deps.metrics.startPeriodic();
    this.deps.logger.info('fc_vmm', `Loaded the snapshot ${params.snapshot_path} (${this.state})`);
    return done();
  }

  private async patchVm(state: string): Promise<Reply> {
    if (state === 'Paused') {
      await this.deps.guest.pause();
      this.state = 'Paused';
    } else {
      await this.deps.guest.resume();
      this.state = 'Running';
    }
    return done();
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function done(): Reply {
  return { status: 204 };
}
