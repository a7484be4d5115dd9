import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { newVmId } from '../domain/vm.js';
import { openDatabase } from './db.js';
import { migrations } from './migrations.js';
import { VmRepository } from './vm-repository.js';

const repo = () =>
  new VmRepository(openDatabase(join(mkdtempSync(join(tmpdir(), 'banger-vms-')), 'state.db')));
const vm = (name: string) => ({
  id: newVmId(),
  name,
  image: 'debian-bookworm',
  vcpu: 2,
  memoryMib: 1024,
  diskBytes: 8 * 1024 ** 3,
  nat: false,
});
const pool = { cidr: '172.16.0.0/24', gateway: '172.16.0.1' };

describe('VmRepository', () => {
  it('allocates distinct addresses, skipping the gateway', () => {
    const r = repo();
    const a = r.create(vm('a'), pool);
    const b = r.create(vm('b'), pool);
    expect(a.guestIp).toBe('172.16.0.2');
    expect(b.guestIp).toBe('172.16.0.3');
    expect(a.desiredState).toBe('stopped');
  });

  it('reuses an address once its VM is deleted', () => {
    const r = repo();
    const a = r.create(vm('a'), pool);
    r.create(vm('b'), pool);
    r.delete(a.id);
    expect(r.create(vm('c'), pool).guestIp).toBe(a.guestIp);
  });

  it('refuses a taken name with conflict and writes nothing', () => {
    const r = repo();
    r.create(vm('dup'), pool);
    expect(() => r.create(vm('dup'), pool)).toThrow(/already exists/);
    expect(r.list()).toHaveLength(1);
  });

  it('gives exactly the usable addresses of a /29, then a clear exhaustion error', () => {
    const r = repo();
    const small = { cidr: '10.9.0.0/29', gateway: '10.9.0.1' };
    const ips = [1, 2, 3, 4, 5].map((i) => r.create(vm(`v${i}`), small).guestIp);
    expect(ips).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    let err: unknown;
    try {
      r.create(vm('v6'), small);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toBe('no free address in 10.9.0.0/29');
    expect(r.list()).toHaveLength(5);
  });

  it('resolves names, ids and unique id prefixes', () => {
    const r = repo();
    const a = r.create({ ...vm('alpha'), id: 'aaaa000000000001' }, pool);
    r.create({ ...vm('beta'), id: 'aaaa000000000002' }, pool);
    expect(r.resolve('alpha').id).toBe(a.id);
    expect(r.resolve(a.id).name).toBe('alpha');
    expect(r.resolve('aaaa000000000001').name).toBe('alpha');
    expect(() => r.resolve('aaaa')).toThrow(/more than one VM/);
    expect(() => r.resolve('nope')).toThrow(/no VM named "nope"/);
  });
});

describe('VmRepository creates in progress', () => {
  it('a new row is creating until finishCreate, which also records the desired state', () => {
    const r = repo();
    const a = r.create(vm('a'), pool);
    const b = r.create(vm('b'), pool);
    expect(r.creatingIds()).toEqual(new Set([a.id, b.id]));
    r.finishCreate(a.id, 'running');
    expect(r.creatingIds()).toEqual(new Set([b.id]));
    expect(r.get(a.id)?.desiredState).toBe('running');
    r.delete(b.id);
    expect(r.creatingIds()).toEqual(new Set());
  });

  it('rows from before the column existed count as created', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'banger-vms-')), 'state.db');
    const old = openDatabase(
      file,
      migrations.filter((m) => m.version < 4),
    );
    old
      .prepare(
        `INSERT INTO vms (id, name, image, vcpu, memory_mib, disk_bytes, guest_ip, nat, desired_state, created_at, updated_at)
         VALUES ('0123456789abcdef', 'old', 'img', 1, 256, 67108864, '172.16.0.2', 0, 'stopped', 'x', 'x')`,
      )
      .run();
    old.close();
    const r = new VmRepository(openDatabase(file));
    expect(r.list().map((v) => v.name)).toEqual(['old']);
    expect(r.creatingIds()).toEqual(new Set());
  });
});

describe('VmRepository.ipForName', () => {
  it('answers case-insensitively and follows deletes at once', () => {
    const r = repo();
    const a = r.create(vm('box'), pool);
    expect(r.ipForName('BOX')).toBe(a.guestIp);
    r.delete(a.id);
    expect(r.ipForName('box')).toBeUndefined();
  });
});
