import { z } from 'zod';

/**
 * The VM part of the daemon contract. Refs (`:ref` in paths) are a VM name,
 * id or unique id prefix; the daemon resolves them.
 */

/**
 * What the daemon observes, not only what was asked: `running` means the
 * Firecracker process is alive and verified; `creating`/`starting`/`stopping`
 * while an operation is in flight. Why a VM last stopped or failed is in `lastError`.
 */
const vmState = z.enum(['creating', 'stopped', 'starting', 'running', 'stopping']);
export type VmStateView = z.infer<typeof vmState>;

const specSource = z.enum(['flag', 'vm_defaults', 'host', 'built-in']);

export const vmView = z.object({
  id: z.string(),
  name: z.string(),
  state: vmState,
  image: z.string(),
  vcpu: z.number().int(),
  memoryMib: z.number().int(),
  diskBytes: z.number().int(),
  guestIp: z.string(),
  /** `<name>.vm`, served by the daemon's DNS server. */
  dnsName: z.string(),
  nat: z.boolean(),
  createdAt: z.string(),
  /** Set while running. */
  startedAt: z.string().optional(),
  uptimeSeconds: z.number().optional(),
  pid: z.number().int().optional(),
  tap: z.string().optional(),
  vmDir: z.string(),
  lastError: z.string().optional(),
  /** With auto_stop_stale_after set: when this running VM will be stopped if it stays idle. */
  autoStopAt: z.string().optional(),
  /** While running: whether banger's guest agent answered when last asked (over vsock, not the network). */
  agent: z
    .object({
      answering: z.boolean(),
      checkedAt: z.string(),
      uptimeSeconds: z.number().optional(),
      load: z.array(z.number()).optional(),
    })
    .optional(),
});
export type VmView = z.infer<typeof vmView>;

const vmList = z.object({ vms: z.array(vmView) });
export type VmList = z.infer<typeof vmList>;

const sourced = z.object({ value: z.number(), source: specSource });
const vmSpec = z.object({ vcpu: sourced, memoryMib: sourced, diskBytes: sourced });

export const createVmRequest = z.strictObject({
  name: z.string().optional(),
  image: z.string().optional(),
  vcpu: z.number().int().optional(),
  memoryMib: z.number().int().optional(),
  diskSize: z.string().optional(),
  nat: z.boolean().optional(),
  /** Start after creating (default true); false leaves the VM stopped. */
  start: z.boolean().optional(),
  /** Wait for the guest's SSH port before answering (default true). */
  wait: z.boolean().optional(),
});
export type CreateVmRequest = z.infer<typeof createVmRequest>;

/** The `done` result of a create stream. The `spec` also arrives first, as a stage event named `spec`. */
const createVmResult = z.object({ vm: vmView, spec: vmSpec });
export type CreateVmResult = z.infer<typeof createVmResult>;

const vmResult = z.object({ vm: vmView });
export type VmResult = z.infer<typeof vmResult>;

export const startVmRequest = z.strictObject({ wait: z.boolean().optional() });

export const logSource = z.enum(['console', 'firecracker']);

export const killVmRequest = z.strictObject({ signal: z.string().optional() });

export const setVmRequest = z.strictObject({
  vcpu: z.number().int().optional(),
  memoryMib: z.number().int().optional(),
  diskSize: z.string().optional(),
  nat: z.boolean().optional(),
});
export type SetVmRequest = z.infer<typeof setVmRequest>;

const deleteVmResult = z.object({ id: z.string(), name: z.string() });
export type DeleteVmResult = z.infer<typeof deleteVmResult>;

const vmStats = z.object({
  id: z.string(),
  name: z.string(),
  state: vmState,
  /** Host-side numbers of the Firecracker process; absent while stopped. */
  process: z
    .object({
      pid: z.number().int(),
      rssBytes: z.number(),
      cpuSeconds: z.number(),
      /** Share of one host CPU over the daemon's last sampling interval (stats_poll_interval). */
      cpuPercent: z.number().optional(),
      uptimeSeconds: z.number(),
    })
    .optional(),
  disks: z.array(
    z.object({ name: z.string(), path: z.string(), apparentBytes: z.number(), allocatedBytes: z.number() }),
  ),
  /** The last metrics object Firecracker wrote, as is. */
  metrics: z.record(z.string(), z.unknown()).optional(),
});
export type VmStatsView = z.infer<typeof vmStats>;

/** How a UI reaches the guest over SSH; see `banger vm ssh`. */
const vmSshInfo = z.object({
  id: z.string(),
  name: z.string(),
  guestIp: z.string(),
  user: z.string(),
  keyPath: z.string(),
  knownHostsPath: z.string(),
  hostKeyAlias: z.string(),
});
export type VmSshInfo = z.infer<typeof vmSshInfo>;
