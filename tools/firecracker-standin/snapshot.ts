// PUT /snapshot/create and PUT /snapshot/load as Firecracker answers them:
// the checks, their order and their wording (vmm/src/persist.rs,
// rpc_interface.rs and the API server's snapshot request parser). The files
// are the stand-in's own, not Firecracker's format: the state file is a
// marker line and the machine's configuration as JSON, the memory file is a
// sparse file of the guest's memory size without a guest, QEMU's migration
// stream (memory and device state) with one.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Fault, ioDisplay, msg } from './faults.js';
import type {
  BootSource,
  DriveConfig,
  MachineConfig,
  NetConfig,
  Resources,
  VsockConfig,
} from './resources.js';

const MAGIC = 'banger firecracker-standin snapshot v1\n';
/** Firecracker's state file starts with its version and ends with a CRC: shorter than that is refused early. */
const CRC_LENGTH = 8;

export interface CreateParams {
  snapshot_path: string;
  mem_file_path: string;
  snapshot_type?: 'Full' | 'Diff';
}

export interface LoadParams {
  snapshot_path: string;
  mem_file_path?: string;
  mem_backend?: { backend_type: 'File' | 'Uffd'; backend_path: string };
  track_dirty_pages?: boolean;
  enable_diff_snapshots?: boolean;
  resume_vm?: boolean;
  network_overrides?: { iface_id: string; host_dev_name: string }[];
  vsock_override?: { uds_path: string };
}

/** What a state file holds: the machine as configured, enough to build it again. */
interface SavedMachine {
  machine: MachineConfig;
  bootSource: BootSource | undefined;
  drives: DriveConfig[];
  nets: NetConfig[];
  vsock: VsockConfig | undefined;
  entropy: Record<string, unknown> | undefined;
}

/**
 * The request parser's check (before the VMM sees it): exactly one of
 * `mem_file_path` and `mem_backend`. Returns the memory file's path; a Uffd
 * backend is valid but not emulated.
 */
export function memoryPath(params: LoadParams): string {
  if (params.mem_file_path !== undefined && params.mem_backend !== undefined)
    throw new Fault(msg.serdeCustom(msg.memTooMany));
  const path = params.mem_file_path ?? params.mem_backend?.backend_path;
  if (path === undefined) throw new Fault(msg.serdeCustom(msg.memMissing));
  if (params.mem_backend?.backend_type === 'Uffd')
    throw new Fault(
      msg.notSupported('a Uffd memory backend is not emulated by the banger Firecracker stand-in.'),
    );
  return path;
}

/**
 * Writes the state file, then creates the memory file, as Firecracker does
 * (each created or truncated), sized to the guest's memory (sparse) for the
 * no-guest mode; a QEMU guest's state is then written into it by the guest.
 */
export function writeSnapshot(params: CreateParams, resources: Resources, sizeMemory: boolean): void {
  const saved: SavedMachine = {
    machine: resources.machine,
    bootSource: resources.bootSource,
    drives: resources.drives,
    nets: resources.nets,
    vsock: resources.vsock,
    entropy: resources.entropy,
  };
  try {
    writeFileSync(params.snapshot_path, MAGIC + JSON.stringify(saved), { mode: 0o600 });
  } catch (err) {
    throw new Fault(msg.snapshotFile('open', ioDisplay(err)));
  }
  let fd: number;
  try {
    fd = openSync(params.mem_file_path, 'w', 0o600);
  } catch (err) {
    throw new Fault(msg.memoryFile('open', ioDisplay(err)));
  }
  try {
    if (sizeMemory) ftruncateSync(fd, resources.machine.mem_size_mib * 1024 * 1024);
  } catch (err) {
    throw new Fault(msg.memoryFile('set_length', ioDisplay(err)));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a state file and the memory file and applies the overrides, in
 * Firecracker's order: the state file, the network overrides, then the
 * memory file. Resources are replaced only once everything checked out.
 */
export function loadSnapshot(params: LoadParams, memPath: string, resources: Resources): void {
  let text: string;
  try {
    text = readFileSync(params.snapshot_path, 'utf8');
  } catch (err) {
    throw new Fault(msg.loadStateOpen(ioDisplay(err)));
  }
  if (Buffer.byteLength(text) < CRC_LENGTH)
    throw new Fault(msg.loadState('Snapshot file is smaller than CRC length.'));
  if (!text.startsWith(MAGIC))
    throw new Fault(msg.loadState('not a snapshot written by the banger Firecracker stand-in.'));
  let saved: SavedMachine;
  try {
    saved = JSON.parse(text.slice(MAGIC.length)) as SavedMachine;
  } catch {
    throw new Fault(msg.loadState('the stand-in snapshot is damaged.'));
  }
  const nets = saved.nets.map((n) => ({ ...n }));
  for (const override of params.network_overrides ?? []) {
    const net = nets.find((n) => n.iface_id === override.iface_id);
    if (!net) throw new Fault(msg.loadUnknownNet);
    net.host_dev_name = override.host_dev_name;
  }
  try {
    closeSync(openSync(memPath, 'r'));
  } catch (err) {
    throw new Fault(msg.loadMemory(ioDisplay(err)));
  }
  resources.machine = {
    ...saved.machine,
    track_dirty_pages: params.track_dirty_pages === true || params.enable_diff_snapshots === true,
  };
  resources.bootSource = saved.bootSource;
  resources.drives = saved.drives;
  resources.nets = nets;
  resources.vsock =
    saved.vsock && params.vsock_override
      ? { ...saved.vsock, uds_path: params.vsock_override.uds_path }
      : saved.vsock;
  resources.entropy = saved.entropy;
}
