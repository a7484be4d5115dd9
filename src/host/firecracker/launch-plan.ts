import { join } from 'node:path';
import { checkKernelCmdline } from '../../domain/boot-args.js';
import { AppError } from '../../domain/errors.js';
import { type FcRequest, fcRequests } from './api-types.js';
import type { VmLaunchSpec } from './driver.js';

/** The files Firecracker uses in a VM dir. */
export interface VmFiles {
  apiSock: string;
  log: string;
  /** The previous run's firecracker.log, kept once when a VM is started again. */
  previousLog: string;
  metrics: string;
  console: string;
}

export function vmFiles(vmDir: string): VmFiles {
  return {
    apiSock: join(vmDir, 'firecracker.sock'),
    log: join(vmDir, 'firecracker.log'),
    previousLog: join(vmDir, 'firecracker.log.1'),
    metrics: join(vmDir, 'metrics.json'),
    console: join(vmDir, 'console.log'),
  };
}

/** sockaddr_un.sun_path is 108 bytes including the terminating NUL. */
export const SOCKET_PATH_MAX = 107;

const INSTANCE_ID_RE = /^[A-Za-z0-9-]{1,64}$/;
const DRIVE_ID_RE = /^[A-Za-z0-9_]+$/;

function checkSocketPath(what: string, path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > SOCKET_PATH_MAX) {
    throw new AppError(
      'invalid_argument',
      `${what} ${path} is ${bytes} bytes, over the ${SOCKET_PATH_MAX}-byte limit of Unix socket paths; move banger's state dir (XDG_STATE_HOME) to a shorter path`,
    );
  }
}

/** Checks what Firecracker would refuse in a less readable way. Throws AppError('invalid_argument'). */
export function checkLaunchSpec(spec: VmLaunchSpec): void {
  if (!INSTANCE_ID_RE.test(spec.vmId)) {
    throw new AppError('invalid_argument', `VM id "${spec.vmId}" is not a valid Firecracker instance id`);
  }
  checkSocketPath('the Firecracker API socket', vmFiles(spec.vmDir).apiSock);
  if (spec.vsock) checkSocketPath('the vsock socket', spec.vsock.udsPath);
  for (const d of spec.drives) {
    if (!DRIVE_ID_RE.test(d.id)) {
      throw new AppError('invalid_argument', `drive id "${d.id}" must be letters, digits and underscores`);
    }
  }
  if (spec.drives.filter((d) => d.isRoot).length > 1) {
    throw new AppError('invalid_argument', 'only one drive can be the root device');
  }
  // Firecracker refuses InstanceStart when the line no longer fits once it appends its own arguments:
  // refuse before a process exists, counting this spec's devices (drives, eth0, vsock).
  const root = spec.drives.find((d) => d.isRoot);
  checkKernelCmdline(spec.bootArgs, {
    ...(root ? { root: { readOnly: root.readOnly } } : {}),
    virtioDevices: spec.drives.length + 1 + (spec.vsock ? 1 : 0),
  });
}

/**
 * The API calls that configure and start a VM, in order. The logger comes
 * first so that Firecracker's account of any later failure lands in
 * firecracker.log; InstanceStart comes last.
 */
export function launchRequests(spec: VmLaunchSpec, files: VmFiles = vmFiles(spec.vmDir)): FcRequest[] {
  const logging = [
    fcRequests.putLogger({ log_path: files.log, level: 'Info', show_level: true, show_log_origin: false }),
    fcRequests.putMetrics({ metrics_path: files.metrics }),
  ];
  if (spec.restore) {
    // Logger and metrics may come before a load; anything else would make Firecracker refuse it.
    return [
      ...logging,
      fcRequests.loadSnapshot({
        snapshot_path: spec.restore.statePath,
        mem_backend: { backend_type: 'File', backend_path: spec.restore.memPath },
        resume_vm: true,
        network_overrides: [{ iface_id: 'eth0', host_dev_name: spec.net.tap }],
        ...(spec.vsock ? { vsock_override: { uds_path: spec.vsock.udsPath } } : {}),
      }),
    ];
  }
  return [
    ...logging,
    fcRequests.putMachineConfig({ vcpu_count: spec.vcpu, mem_size_mib: spec.memoryMib, smt: false }),
    fcRequests.putBootSource({
      kernel_image_path: spec.kernel.vmlinux,
      initrd_path: spec.kernel.initrd,
      boot_args: spec.bootArgs,
    }),
    ...spec.drives.map((d) =>
      fcRequests.putDrive({
        drive_id: d.id,
        path_on_host: d.path,
        is_root_device: d.isRoot,
        is_read_only: d.readOnly,
      }),
    ),
    fcRequests.putNetworkInterface({
      iface_id: 'eth0',
      host_dev_name: spec.net.tap,
      guest_mac: spec.net.mac,
    }),
    ...(spec.vsock ? [fcRequests.putVsock({ guest_cid: spec.vsock.cid, uds_path: spec.vsock.udsPath })] : []),
    fcRequests.action('InstanceStart'),
  ];
}
