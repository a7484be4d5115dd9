// The slice of Firecracker's HTTP API banger uses, hand-written from the
// official description (firecracker-api-v1.16.1.yaml). api-types.test.ts
// checks every request built here against that description, read at runtime.

/** Definition `Logger`. */
export interface LoggerConfig {
  log_path?: string;
  level?: 'Error' | 'Warning' | 'Info' | 'Debug' | 'Trace';
  show_level?: boolean;
  show_log_origin?: boolean;
}

/** Definition `Metrics`. */
export interface MetricsConfig {
  metrics_path: string;
}

/** Definition `MachineConfiguration`. */
export interface MachineConfig {
  vcpu_count: number;
  mem_size_mib: number;
  smt?: boolean;
}

/** Definition `BootSource`. */
export interface BootSourceConfig {
  kernel_image_path: string;
  initrd_path?: string;
  boot_args?: string;
}

/** Definition `Drive`. */
export interface DriveConfig {
  drive_id: string;
  path_on_host: string;
  is_root_device: boolean;
  is_read_only: boolean;
}

/** Definition `NetworkInterface`. */
export interface NetworkInterfaceConfig {
  iface_id: string;
  host_dev_name: string;
  guest_mac?: string;
}

/** Definition `Vsock`. */
export interface VsockConfig {
  guest_cid: number;
  uds_path: string;
}

/** Definition `Vm`: PATCH /vm pauses or resumes a started VM. */
export interface VmStateChange {
  state: 'Paused' | 'Resumed';
}

/** Definition `SnapshotCreateParams` (banger writes full snapshots only). */
export interface SnapshotCreateParams {
  snapshot_path: string;
  mem_file_path: string;
  snapshot_type: 'Full';
}

/** Definition `SnapshotLoadParams`, with the memory as a `File` backend (not the deprecated `mem_file_path`). */
export interface SnapshotLoadParams {
  snapshot_path: string;
  mem_backend: { backend_type: 'File'; backend_path: string };
  resume_vm: boolean;
  network_overrides?: { iface_id: string; host_dev_name: string }[];
  vsock_override?: { uds_path: string };
}

/** Definition `InstanceActionInfo`. */
export type ActionType = 'InstanceStart' | 'SendCtrlAltDel' | 'FlushMetrics';

/** Definition `InstanceInfo` (the answer to `GET /`). */
export interface InstanceInfo {
  app_name: string;
  id: string;
  state: 'Not started' | 'Running' | 'Paused';
  vmm_version: string;
}

/** One API call: the spec's operationId, method, path and JSON body. */
export interface FcRequest {
  operationId: string;
  method: 'GET' | 'PUT' | 'PATCH';
  path: string;
  body?: object;
}

/** Builders for every request banger sends; the only place request bodies are shaped. */
export const fcRequests = {
  describeInstance: (): FcRequest => ({ operationId: 'describeInstance', method: 'GET', path: '/' }),
  putLogger: (body: LoggerConfig): FcRequest => ({
    operationId: 'putLogger',
    method: 'PUT',
    path: '/logger',
    body,
  }),
  putMetrics: (body: MetricsConfig): FcRequest => ({
    operationId: 'putMetrics',
    method: 'PUT',
    path: '/metrics',
    body,
  }),
  putMachineConfig: (body: MachineConfig): FcRequest => ({
    operationId: 'putMachineConfiguration',
    method: 'PUT',
    path: '/machine-config',
    body,
  }),
  putBootSource: (body: BootSourceConfig): FcRequest => ({
    operationId: 'putGuestBootSource',
    method: 'PUT',
    path: '/boot-source',
    body,
  }),
  putDrive: (body: DriveConfig): FcRequest => ({
    operationId: 'putGuestDriveByID',
    method: 'PUT',
    path: `/drives/${encodeURIComponent(body.drive_id)}`,
    body,
  }),
  putNetworkInterface: (body: NetworkInterfaceConfig): FcRequest => ({
    operationId: 'putGuestNetworkInterfaceByID',
    method: 'PUT',
    path: `/network-interfaces/${encodeURIComponent(body.iface_id)}`,
    body,
  }),
  putVsock: (body: VsockConfig): FcRequest => ({
    operationId: 'putGuestVsock',
    method: 'PUT',
    path: '/vsock',
    body,
  }),
  patchVm: (body: VmStateChange): FcRequest => ({
    operationId: 'patchVm',
    method: 'PATCH',
    path: '/vm',
    body,
  }),
  createSnapshot: (body: SnapshotCreateParams): FcRequest => ({
    operationId: 'createSnapshot',
    method: 'PUT',
    path: '/snapshot/create',
    body,
  }),
  loadSnapshot: (body: SnapshotLoadParams): FcRequest => ({
    operationId: 'loadSnapshot',
    method: 'PUT',
    path: '/snapshot/load',
    body,
  }),
  action: (action_type: ActionType): FcRequest => ({
    operationId: 'createSyncAction',
    method: 'PUT',
    path: '/actions',
    body: { action_type },
  }),
} as const;

/** "PUT /drives/rootfs": how a request is named in error messages. */
export function describeRequest(req: FcRequest): string {
  return `${req.method} ${req.path}`;
}
