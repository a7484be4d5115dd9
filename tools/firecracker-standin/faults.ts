// Firecracker's own wording for the errors the stand-in reproduces, collected
// in one place. Sources: firecracker-microvm/firecracker
// src/firecracker/src/api_server/parsed_request.rs (request errors),
// src/vmm/src/rpc_interface.rs (VmmActionError prefixes) and the vmm_config
// modules (domain errors). Every 4xx the API sends is a `Fault`.
import { formatPos, type Pos } from './json-source.js';

/** An API error answered as `{"fault_message": message}` with this status (Firecracker uses 400). */
export class Fault extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'Fault';
    this.status = status;
  }
}

export const msg = {
  emptyId: 'The ID cannot be empty.',
  invalidId: 'API Resource IDs can only contain alphanumeric characters and underscores.',
  invalidPath: (method: string, firstSegment: string) =>
    `Invalid request method and/or path: ${method} ${firstSegment}.`,
  getWithBody: 'GET request cannot have a body.',
  emptyPut: 'Empty PUT request.',
  emptyPatch: 'Empty PATCH request.',
  payloadTooLarge: (size: number, limit: number) =>
    `Request payload with size ${size} is larger than the limit of ${limit} allowed by server.`,
  serde: (detail: string, pos: Pos) =>
    `An error occurred when deserializing the json body of a request: ${detail} at ${formatPos(pos)}.`,
  driveIdMismatch: 'The id from the path does not match the id from the body!',
  netIdMismatch: (path: string, body: string) =>
    `The id from the path [${path}] does not match the id from the body [${body}]!`,
  postBoot: 'The requested operation is not supported after starting the microVM.',
  preBoot: 'The requested operation is not supported before starting the microVM.',
  notSupported: (what: string) => `The requested operation is not supported: ${what}`,
  missingKernel: 'Start microvm error: Cannot start microvm without kernel configuration.',
  startFailed: (why: string) => `Start microvm error: ${why}`,
  vcpuCount:
    'Machine config error: The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.',
  memSize:
    'Machine config error: The memory size (MiB) is either 0, or not a multiple of the configured page size.',
  kernelOpen: (io: string) => `Boot source error: The kernel file cannot be opened: ${io}`,
  bootArgs: (why: string) => `Boot source error: The kernel command line is invalid: ${why}`,
  initrdOpen: (io: string) =>
    `Boot source error: The initrd file cannot be opened due to invalid path or invalid permissions. ${io}`,
  rootExists: 'Drive config error: A root block device already exists!',
  driveOpen: (debugIo: string, path: string) =>
    `Drive config error: Unable to create the virtio block device: VirtioBackend(BackingFile(${debugIo}, "${path}"))`,
  driveUnknown: (id: string) =>
    `Drive config error: Unable to patch the block device: Device ID ${id} not found.`,
  macInUse: (mac: string) => `Network config error: The MAC address is already in use: ${mac}`,
  tapInUse: (dev: string) =>
    `Network config error: Could not create the network device: Open tap device failed: Error while creating ifreq structure: Resource busy (os error 16). Invalid TUN/TAP Backend provided by ${dev}. Check our documentation on setting up the network devices.`,
  tapName:
    'Network config error: Could not create the network device: Open tap device failed: Invalid interface name.',
  netUnknown: (id: string) => `Network config error: Could not find the network device with id ${id}.`,
  loggerOpen: (io: string) => `Logger error: Failed to open target file: ${io}`,
  metricsOpen: (io: string) => `Metrics error: Failed to open target file: ${io}`,
  metricsTwice: 'Metrics error: Reinitialization of metrics not allowed.',
  vsockBind: (io: string) =>
    `Vsock config error: Cannot create backend for vsock device: Error binding to the host-side Unix socket: ${io}`,
  serdeCustom: (text: string) => `An error occurred when deserializing the json body of a request: ${text}.`,
  memTooMany: 'too many fields: either `mem_backend` or `mem_file_path` exclusively is required',
  memMissing: 'missing field: either `mem_backend` or `mem_file_path` is required',
  diffNeedsDirtyTracking: 'Diff snapshots are not allowed on uVMs with dirty page tracking disabled.',
  createWhileRunning:
    'Create snapshot error: Cannot save the microVM state: Operation not allowed: save/restore unavailable while running',
  snapshotFile: (op: string, io: string) =>
    `Create snapshot error: Cannot perform ${op} on the snapshot backing file: ${io}`,
  memoryFile: (op: string, io: string) =>
    `Create snapshot error: Cannot perform ${op} on the memory backing file: ${io}`,
  memoryWrite: (why: string) => `Create snapshot error: Cannot write memory file: ${why}`,
  loadBuild: (why: string) =>
    `Load snapshot error: Failed to restore from snapshot: Failed to build microVM from snapshot: ${why}`,
  loadNotAllowed:
    'Load snapshot error: Loading a microVM snapshot not allowed after configuring boot-specific resources.',
  loadStateOpen: (io: string) =>
    `Load snapshot error: Failed to restore from snapshot: Failed to get snapshot state from file: Failed to open snapshot file: ${io}`,
  loadState: (why: string) =>
    `Load snapshot error: Failed to restore from snapshot: Failed to get snapshot state from file: Failed to load snapshot state from file: ${why}`,
  loadUnknownNet:
    'Load snapshot error: Failed to restore from snapshot: Failed to get snapshot state from file: Unknown Network Device.',
  loadMemory: (io: string) =>
    `Load snapshot error: Failed to restore from snapshot: Failed to load guest memory: Error creating guest memory from file: Failed to load guest memory: ${io}`,
  apiSocketInUse: (path: string) =>
    `Failed to open the API socket at: ${path}. Check that it is not already used.`,
} as const;

/** Rust's Display for an io::Error from a Node errno code, e.g. "No such file or directory (os error 2)". */
export function ioDisplay(err: unknown): string {
  const { text, errno } = ioParts(err);
  return `${text} (os error ${errno})`;
}

/** Rust's Debug for an io::Error, e.g. `Os { code: 2, kind: NotFound, message: "No such file or directory" }`. */
export function ioDebug(err: unknown): string {
  const { text, errno, kind } = ioParts(err);
  return `Os { code: ${errno}, kind: ${kind}, message: "${text}" }`;
}

const ERRNO: Record<string, [number, string, string]> = {
  ENOENT: [2, 'No such file or directory', 'NotFound'],
  EACCES: [13, 'Permission denied', 'PermissionDenied'],
  EPERM: [1, 'Operation not permitted', 'PermissionDenied'],
  EISDIR: [21, 'Is a directory', 'IsADirectory'],
  ENOTDIR: [20, 'Not a directory', 'NotADirectory'],
  EROFS: [30, 'Read-only file system', 'ReadOnlyFilesystem'],
  ELOOP: [40, 'Too many levels of symbolic links', 'FilesystemLoop'],
  EADDRINUSE: [98, 'Address in use', 'AddrInUse'],
  ENAMETOOLONG: [36, 'File name too long', 'InvalidFilename'],
};

function ioParts(err: unknown): { text: string; errno: number; kind: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const known = ERRNO[code];
  if (known) return { errno: known[0], text: known[1], kind: known[2] };
  const errno =
    typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number'
      ? Math.abs(err.errno)
      : 5;
  return { errno, text: err instanceof Error ? err.message : String(err), kind: 'Other' };
}

/** The Rust struct names serde puts into "expected struct X" messages, by spec definition. */
export const RUST_STRUCT: Record<string, string> = {
  Drive: 'BlockDeviceConfig',
  PartialDrive: 'BlockDeviceUpdateConfig',
  MachineConfiguration: 'MachineConfig',
  BootSource: 'BootSourceConfig',
  NetworkInterface: 'NetworkInterfaceConfig',
  PartialNetworkInterface: 'NetworkInterfaceUpdateConfig',
  Logger: 'LoggerConfig',
  Metrics: 'MetricsConfig',
  Vsock: 'VsockDeviceConfig',
  InstanceActionInfo: 'ActionBody',
  SerialDevice: 'SerialConfig',
  RateLimiter: 'RateLimiterConfig',
  TokenBucket: 'TokenBucketConfig',
  EntropyDevice: 'EntropyDeviceConfig',
  Vm: 'Vm',
};

/** Rust integer types of fields (serde names them in "expected u8"); others default to u64 / i32 by format. */
export const RUST_INT: Record<string, string> = {
  'MachineConfiguration.vcpu_count': 'u8',
  'MachineConfiguration.mem_size_mib': 'usize',
  'Vsock.guest_cid': 'u32',
  'NetworkInterface.mtu': 'u16',
  'Balloon.amount_mib': 'u32',
  'Balloon.stats_polling_interval_s': 'u16',
};

/**
 * Spec minimum/maximum violations Firecracker reports from its VMM layer
 * rather than from serde; the message replaces the generic range error.
 */
export const RANGE_OVERRIDE: Record<string, string> = {
  'MachineConfiguration.vcpu_count': msg.vcpuCount,
};
