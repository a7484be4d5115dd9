import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { nextFreeAddress } from '../domain/network.js';
import type { VmRecord, VmState } from '../domain/vm.js';
import type { Db } from './db.js';

const vmRow = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  vcpu: z.number().int(),
  memory_mib: z.number().int(),
  disk_bytes: z.number().int(),
  guest_ip: z.string(),
  nat: z.union([z.literal(0), z.literal(1)]),
  desired_state: z.enum(['stopped', 'running']),
  created_at: z.string(),
  updated_at: z.string(),
  last_error: z.string().nullable(),
});

function toRecord(raw: unknown): VmRecord {
  const r = vmRow.parse(raw);
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    vcpu: r.vcpu,
    memoryMib: r.memory_mib,
    diskBytes: r.disk_bytes,
    guestIp: r.guest_ip,
    nat: r.nat === 1,
    desiredState: r.desired_state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastError: r.last_error ?? undefined,
  };
}

export type NewVm = Omit<VmRecord, 'guestIp' | 'createdAt' | 'updatedAt' | 'lastError' | 'desiredState'>;

/** The network the guest address is taken from. */
export interface AddressPool {
  cidr: string;
  gateway: string;
}

/** VM records. Rows are parsed at this boundary; callers only see VmRecord. */
export class VmRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts a VM and allocates its guest address in one `BEGIN IMMEDIATE`
   * transaction, so concurrent creates (even from other processes) never get
   * the same address or name. Throws AppError('conflict') for a taken name and
   * the allocator's error for an exhausted pool; nothing is written then.
   * The row is marked as being created until finishCreate: see creatingIds.
   */
  create(vm: NewVm, pool: AddressPool, now = new Date()): VmRecord {
    const insert = this.db.transaction(() => {
      const taken = this.db.prepare('SELECT 1 FROM vms WHERE name = ?').get(vm.name);
      if (taken)
        throw new AppError('conflict', `a VM named "${vm.name}" already exists; pick another --name`);
      const used = new Set(
        (this.db.prepare('SELECT guest_ip FROM vms').all() as { guest_ip: string }[]).map((r) => r.guest_ip),
      );
      const guestIp = nextFreeAddress(pool.cidr, pool.gateway, used);
      const stamp = now.toISOString();
      this.db
        .prepare(
          `INSERT INTO vms (id, name, image, vcpu, memory_mib, disk_bytes, guest_ip, nat, desired_state, created_at, updated_at, creating)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'stopped', ?, ?, 1)`,
        )
        .run(
          vm.id,
          vm.name,
          vm.image,
          vm.vcpu,
          vm.memoryMib,
          vm.diskBytes,
          guestIp,
          vm.nat ? 1 : 0,
          stamp,
          stamp,
        );
      return guestIp;
    });
    insert.immediate();
    const created = this.get(vm.id);
    if (!created) throw new AppError('internal', `VM ${vm.id} vanished right after insert`);
    return created;
  }

  /** Ends a create: the VM is complete, with the desired state it reached. */
  finishCreate(id: string, state: VmState): void {
    this.db
      .prepare('UPDATE vms SET creating = 0, desired_state = ?, updated_at = ? WHERE id = ?')
      .run(state, new Date().toISOString(), id);
  }

  /**
   * VMs whose create has not finished. While a daemon runs these are its
   * creates in progress; at daemon start, half-made VMs a killed daemon left.
   */
  creatingIds(): Set<string> {
    const rows = this.db.prepare('SELECT id FROM vms WHERE creating = 1').all() as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  get(id: string): VmRecord | undefined {
    const row = this.db.prepare('SELECT * FROM vms WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The guest address of the VM named `name` (case-insensitive), for the DNS server. Cheap and synchronous. */
  ipForName(name: string): string | undefined {
    const row = this.db.prepare('SELECT guest_ip FROM vms WHERE name = ? COLLATE NOCASE').get(name) as
      | { guest_ip: string }
      | undefined;
    return row?.guest_ip;
  }

  list(): VmRecord[] {
    return this.db.prepare('SELECT * FROM vms ORDER BY created_at, name').all().map(toRecord);
  }

  /**
   * Resolves a user's ref: exact name, exact id, or a unique id prefix.
   * Throws not_found or ambiguous with a next step.
   */
  resolve(ref: string): VmRecord {
    const byName = this.db.prepare('SELECT * FROM vms WHERE name = ? OR id = ?').get(ref, ref);
    if (byName) return toRecord(byName);
    const matches = /^[0-9a-f]+$/.test(ref)
      ? this.db.prepare("SELECT * FROM vms WHERE id LIKE ? || '%' LIMIT 2").all(ref).map(toRecord)
      : [];
    const [first, second] = matches;
    if (first && !second) return first;
    if (second)
      throw new AppError('ambiguous', `"${ref}" matches more than one VM; use more of the id or the name`);
    throw new AppError('not_found', `no VM named "${ref}"; see \`banger vm list\``);
  }

  setDesiredState(id: string, state: VmState, lastError?: string): void {
    this.db
      .prepare('UPDATE vms SET desired_state = ?, last_error = ?, updated_at = ? WHERE id = ?')
      .run(state, lastError ?? null, new Date().toISOString(), id);
  }

  setNat(id: string, nat: boolean): void {
    this.db
      .prepare('UPDATE vms SET nat = ?, updated_at = ? WHERE id = ?')
      .run(nat ? 1 : 0, new Date().toISOString(), id);
  }

  /** `vm set` of a stopped VM; values already validated. */
  setSizing(id: string, sizing: { vcpu?: number; memoryMib?: number; diskBytes?: number }): void {
    const vm = this.get(id);
    if (!vm) return;
    this.db
      .prepare('UPDATE vms SET vcpu = ?, memory_mib = ?, disk_bytes = ?, updated_at = ? WHERE id = ?')
      .run(
        sizing.vcpu ?? vm.vcpu,
        sizing.memoryMib ?? vm.memoryMib,
        sizing.diskBytes ?? vm.diskBytes,
        new Date().toISOString(),
        id,
      );
  }

  /** Deletes the record, which also releases its guest address. Idempotent. */
  delete(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM pool_vms WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM vms WHERE id = ?').run(id);
    })();
  }

  /** Renames a VM; AppError('conflict') when another VM has the name. */
  rename(id: string, name: string): void {
    this.db
      .transaction(() => {
        const taken = this.db.prepare('SELECT 1 FROM vms WHERE name = ? AND id != ?').get(name, id);
        if (taken) throw new AppError('conflict', `a VM named "${name}" already exists; pick another --name`);
        this.db
          .prepare('UPDATE vms SET name = ?, updated_at = ? WHERE id = ?')
          .run(name, new Date().toISOString(), id);
      })
      .immediate();
  }

  /** Puts a VM in the warm pool, or takes it out: lists leave pool VMs out. */
  setPooled(id: string, pooled: boolean): void {
    if (pooled) this.db.prepare('INSERT OR IGNORE INTO pool_vms (id) VALUES (?)').run(id);
    else this.db.prepare('DELETE FROM pool_vms WHERE id = ?').run(id);
  }

  /** The warm pool's VMs. */
  pooledIds(): Set<string> {
    const rows = this.db.prepare('SELECT id FROM pool_vms').all() as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }
}
