import type { Duplex } from 'node:stream';
import type { FirecrackerDriver, FirecrackerHandle, VmLaunchSpec } from '../../../host/firecracker/driver.js';

/**
 * What the VM service needs from the host, as small interfaces. The
 * composition root (daemon/app.ts) plugs in the real adapters from src/host;
 * tests can plug in the Firecracker stand-in, real disks and a network
 * namespace. Each contract is stated where it is implemented.
 */

/** The Firecracker driver (src/host/firecracker/driver.ts states its contract). */
export type LaunchSpec = VmLaunchSpec;
export type ProcessHandle = FirecrackerHandle;
export type VmDriver = FirecrackerDriver;

/** Host networking (src/host/network/host-network.ts). */
export interface VmNetwork {
  /** `firstStart`: the VM has never run, so no rules of its own can exist (see host-network.ts). */
  attach(vm: {
    vmId: string;
    guestIp: string;
    nat: boolean;
    firstStart?: boolean;
  }): Promise<{ tap: string; mac: string }>;
  setNat(vm: { vmId: string; guestIp: string; nat: boolean }): Promise<void>;
  detach(vmId: string): Promise<void>;
}

export interface HostKeyPair {
  privateKey: string;
  publicKey: string;
}

/** Per-VM disks (src/host/disk). */
export interface VmDisks {
  /** Creates system.ext4 (the overlay's upper layer) with the VM's SSH host key in /etc/ssh. */
  createSystemDisk(path: string, bytes: number, hostKey: HostKeyPair): Promise<void>;
  /** Creates work.ext4 (from the seed when given) with /root/.ssh/authorized_keys and the file_sync entries. */
  createWorkDisk(o: {
    path: string;
    bytes: number;
    seed?: string | undefined;
    authorizedKey: string;
  }): Promise<void>;
  growWorkDisk(path: string, bytes: number): Promise<void>;
  usage(path: string): Promise<{ apparentBytes: number; allocatedBytes: number }>;
}

export interface BootArtifacts {
  image: string;
  rootfs: string;
  workSeed?: string | undefined;
  kernel: { name: string; vmlinux: string; initrd: string; modulesDir?: string; version: string };
}

/** The image store (daemon/services/images). */
export interface BootArtifactSource {
  /** Throws AppError not_found when the image does not exist. */
  resolve(image: string): BootArtifacts;
  /** Builds or pulls the image when missing (the default image on first use); shared by concurrent callers. */
  ensure(
    image: string,
    onProgress: (e: { stage: string; message: string }) => void,
    signal?: AbortSignal,
  ): Promise<BootArtifacts>;
}

/** What banger's guest agent says of the guest (src/host/vsock/agent-client.ts). */
interface AgentHealth {
  uptimeSeconds: number;
  load: number[];
}

/** banger's guest agent, reached over the VM's vsock socket in its directory. */
export interface GuestAgent {
  /** Rejects when the agent does not answer within `timeoutMs`. */
  ping(vmDir: string, timeoutMs: number): Promise<AgentHealth>;
  /**
   * One request line, one response object (docs/guest-agent.md). A refusal
   * rejects with AppError('operation_failed') whose message is the agent's
   * own line and whose details carry `agentError`.
   */
  request(vmDir: string, body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>>;
  /**
   * One request line after whose response the connection carries raw bytes
   * (`pty_open`): the response and the connection, paused, to resume or pipe;
   * destroying it ends the guest's side. Rejects like `request`.
   */
  openStream(
    vmDir: string,
    body: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<{ response: Record<string, unknown>; stream: Duplex }>;
}

/** Guest readiness (src/host/ssh). */
export interface GuestReadiness {
  /** Resolves once the guest's SSH port answers with a banner; AppError timeout otherwise. */
  waitForSsh(ip: string, o: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void>;
}

/** SSH trust (src/host/ssh): banger's client key and the per-VM host keys in banger's known_hosts. */
export interface GuestIdentity {
  /** banger's client key, created on first use (or `ssh_key_path`). */
  clientKey(): Promise<{ privateKeyPath: string; publicKey: string }>;
  knownHostsFile: string;
  newHostKey(): Promise<HostKeyPair>;
  /** Trusts `publicKey` for the VM id (the HostKeyAlias) and its addresses, replacing older entries. */
  trust(vmId: string, addresses: readonly string[], publicKey: string): Promise<void>;
  /** Idempotent. */
  forget(names: readonly string[]): Promise<void>;
}
