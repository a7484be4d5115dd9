import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CreateVmRequest } from '../../../api/vms.js';
import { bootArgs } from '../../../domain/boot-args.js';
import { AppError } from '../../../domain/errors.js';
import { parseSize } from '../../../domain/size.js';
import { newVmId, validateVmName } from '../../../domain/vm.js';
import { formatSpecLine, resolveSizing, type VmSizing } from '../../../domain/vm-spec.js';
import type { EmitStage } from '../../ndjson.js';
import { generateVmName } from './names.js';
import type { BootArtifacts, HostKeyPair } from './ports.js';
import type { Step } from './steps.js';
import type { VmServiceDeps } from './vm-service.js';

export interface CreatePlan {
  id: string;
  name: string;
  nat: boolean;
  sizing: VmSizing;
  artifacts: BootArtifacts;
}

/**
 * Everything a create checks before it creates anything: name, the kernel
 * command line it will boot with, sizing (the `spec:` line is emitted first),
 * an explicitly named image, Firecracker and host networking when the VM is
 * to be started, and last the default image (built or pulled on demand).
 */
export async function validateCreate(
  deps: VmServiceDeps,
  req: CreateVmRequest,
  emit: EmitStage,
  signal?: AbortSignal,
): Promise<CreatePlan> {
  const name =
    req.name !== undefined
      ? validateVmName(req.name)
      : generateVmName((n) => deps.repo.ipForName(n) !== undefined);
  const sizing = resolveSizing(
    {
      ...(req.vcpu !== undefined ? { vcpu: req.vcpu } : {}),
      ...(req.memoryMib !== undefined ? { memoryMib: req.memoryMib } : {}),
      ...(req.diskSize !== undefined ? { diskSize: req.diskSize } : {}),
    },
    deps.config,
    deps.hostFacts,
  );
  // The kernel command line is built at each start, with the address allocated below. Checked now,
  // before anything exists, with the widest address there is, so a VM whose line would not fit
  // Firecracker's limit (with what Firecracker appends) is refused rather than created unbootable.
  bootArgs({
    address: '255.255.255.255/32',
    gateway: deps.config.bridgeIp,
    dns: [...deps.guestDns],
    hostname: name,
  });
  const image = req.image ?? deps.config.defaultImageName;
  // An explicitly named image must exist (one line, nothing printed before); the default one is
  // built or pulled on first use, after the spec line.
  const named = image === deps.config.defaultImageName ? undefined : deps.images.resolve(image);
  emit({ stage: 'spec', message: formatSpecLine(sizing) });
  // What starting needs is checked before the default image is built or pulled (a minute or
  // more): a host without Firecracker or networking fails in a moment, with the fix.
  if (req.start !== false) {
    await deps.firecrackerBin();
    await deps.network();
  }
  const artifacts = named ?? (await deps.images.ensure(image, (e) => emit(e), signal));
  return { id: newVmId(), name, nat: req.nat ?? false, sizing, artifacts };
}

/** A VM about to be made: what its record holds. */
export interface NewVm {
  id: string;
  name: string;
  image: string;
  vcpu: number;
  memoryMib: number;
  diskBytes: number;
  nat: boolean;
  /** A warm pool VM: left out of lists until a create takes it (warm-pool.ts). */
  pooled?: boolean;
}

/** The keys the first steps generate or read, for the disk steps (and a fork's identity step) after them. */
export interface NewVmKeys {
  host?: HostKeyPair;
  /** The user's SSH public key, for the guest's authorized_keys. */
  client?: string;
}

/**
 * The first steps of a create and of a fork: the record with its name and
 * address (reserved in one transaction), the VM directory, and a new SSH
 * host key trusted for the VM's id, address and name.
 */
export function newVmSteps(deps: VmServiceDeps, vm: NewVm, dir: string, keys: NewVmKeys): Step[] {
  const { repo, config, identity } = deps;
  const trustedNames = () => {
    const record = repo.get(vm.id);
    return record ? [vm.id, record.guestIp, `${record.name}.vm`] : [vm.id];
  };
  return [
    {
      name: 'reserve',
      message: `reserving name ${vm.name} and an address in ${config.cidr}`,
      run: async () => {
        repo.create(vm, { cidr: config.cidr, gateway: config.bridgeIp });
        if (vm.pooled) repo.setPooled(vm.id, true);
      },
      undo: async () => repo.delete(vm.id),
    },
    {
      name: 'directory',
      message: 'creating the VM directory',
      run: async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
      },
      undo: () => rm(dir, { recursive: true, force: true }),
    },
    {
      name: 'ssh-keys',
      message: "generating the VM's SSH host key",
      run: async () => {
        keys.client = (await identity.clientKey()).publicKey;
        keys.host = await identity.newHostKey();
        const record = repo.get(vm.id);
        if (record) await identity.trust(vm.id, [record.guestIp, `${record.name}.vm`], keys.host.publicKey);
      },
      undo: () => identity.forget(trustedNames()),
    },
  ];
}

/** The steps that make a stopped VM: its record and address, its directory, its two disks. */
export function createSteps(deps: VmServiceDeps, plan: CreatePlan, dir: string, pooled = false): Step[] {
  const { config, disks } = deps;
  const keys: NewVmKeys = {};
  const vm: NewVm = {
    id: plan.id,
    name: plan.name,
    image: plan.artifacts.image,
    vcpu: plan.sizing.vcpu.value,
    memoryMib: plan.sizing.memoryMib.value,
    diskBytes: plan.sizing.diskBytes.value,
    nat: plan.nat,
    pooled,
  };
  return [
    ...newVmSteps(deps, vm, dir, keys),
    {
      name: 'system-disk',
      message: `creating the root overlay disk (${config.systemOverlaySize}, sparse)`,
      run: async () => {
        if (!keys.host) throw new AppError('internal', 'create: no host key');
        const bytes = parseSize(config.systemOverlaySize, 'system_overlay_size');
        await disks.createSystemDisk(join(dir, 'system.ext4'), bytes, keys.host);
      },
    },
    {
      name: 'work-disk',
      message: plan.artifacts.workSeed
        ? 'cloning the work disk from the image seed'
        : 'creating the work disk',
      run: async () => {
        const clientKey = keys.client;
        if (!clientKey) throw new AppError('internal', 'create: no client key');
        await disks.createWorkDisk({
          path: join(dir, 'work.ext4'),
          bytes: plan.sizing.diskBytes.value,
          seed: plan.artifacts.workSeed,
          authorizedKey: clientKey,
        });
      },
    },
  ];
}
