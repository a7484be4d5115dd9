import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import { IDENTITY_DONE, identityScript } from '../../../domain/guest-identity.js';
import { guestNetwork } from '../../../domain/network.js';
import type { VmRecord } from '../../../domain/vm.js';
import type { SnapshotStore } from '../../../host/snapshots/snapshot-store.js';
import { type NewVm, type NewVmKeys, newVmSteps } from './create-vm.js';
import { runGuestScript } from './guest-script.js';
import type { Step } from './steps.js';
import type { VmServiceDeps } from './vm-service.js';

/** How long the restored guest's agent gets to apply the new identity. */
const IDENTITY_TIMEOUT_MS = 60_000;

/** The snapshot files a fork is restored from, and what the VM they hold was. */
export interface ForkSource {
  statePath: string;
  memPath: string;
  systemPath: string;
  workPath: string;
  image: string;
  vcpu: number;
  memoryMib: number;
  diskBytes: number;
}

/**
 * The steps that make a fork before it runs: its record and address, its
 * directory and new host key (as a create's), then its own copies of the
 * snapshot's two disks, which the restored Firecracker opens by their
 * relative paths in the VM dir.
 */
export function forkCreateSteps(
  deps: VmServiceDeps,
  vm: NewVm,
  dir: string,
  keys: NewVmKeys,
  source: ForkSource,
  store: SnapshotStore,
): Step[] {
  return [
    ...newVmSteps(deps, vm, dir, keys),
    {
      name: 'disks',
      message: 'copying the snapshot’s system and work disks',
      run: async () => {
        await store.copyDisk(source.systemPath, join(dir, 'system.ext4'));
        await store.copyDisk(source.workPath, join(dir, 'work.ext4'));
      },
    },
  ];
}

/**
 * After the restore, the guest still believes it is the VM the snapshot was
 * taken of. Its agent runs identityScript: this VM's MAC, address, route,
 * hostname, host key, a new machine-id and the host's time, before anything
 * (SSH, DNS) reaches it under the new name.
 */
export function identityStep(
  deps: VmServiceDeps,
  getVm: () => VmRecord,
  dir: string,
  keys: NewVmKeys,
  /** false: only the name and host key change (a warm pool VM keeps its address and MAC). */
  reconfigureNetwork = true,
): Step {
  return {
    name: 'identity',
    message: 'giving the guest its own address, name and host key',
    run: async () => {
      const vm = getVm();
      if (!keys.host) throw new AppError('internal', 'fork: no host key');
      const net = guestNetwork(deps.config.cidr, deps.config.bridgeIp, vm.guestIp);
      const script = identityScript({
        name: vm.name,
        address: net.address,
        gateway: net.gateway,
        mac: net.mac,
        hostKey: keys.host,
        machineId: randomBytes(16).toString('hex'),
        now: Math.floor(Date.now() / 1000),
        reconfigureNetwork,
      });
      const output = await runGuestScript(deps.agent, dir, script, IDENTITY_TIMEOUT_MS);
      if (!output.includes(IDENTITY_DONE)) {
        const tail = output.trim().split('\n').slice(-3).join(' | ');
        throw new AppError(
          'operation_failed',
          `the guest could not take its new identity: ${tail || 'no output'}`,
        );
      }
    },
  };
}
