import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { type VmRunDeps, type VmRunEvent, type VmRunRequest, vmRun } from '../../src/client/vm-run.js';
import type { PreparedWorkspace } from '../../src/client/workspace.js';
import { AppError } from '../../src/domain/errors.js';
import type { GuestCalls, HoldPoint } from './fake-vm-adapters.js';
import { IMAGE, type InProcessDaemon, startInProcessDaemon } from './in-process-daemon.js';

/**
 * The client core's `vm run` against the real daemon in this process (see
 * in-process-daemon.ts): every check reads what the daemon holds afterwards
 * (its VM list, the VM's files, TAPs, trusted host keys, live Firecrackers),
 * not only what the operation asked for. The guest-side hooks (copy,
 * tooling, session) are fakes that record their calls.
 */

const workspace: PreparedWorkspace = {
  plan: { kind: 'git', root: '/home/me/repo', name: 'repo', entries: ['a', 'b', 'c'], trees: [] },
  branch: 'try',
};

let d: InProcessDaemon;
beforeEach(async () => {
  d = await startInProcessDaemon();
}, 10_000);
afterEach(async () => {
  await d.close();
  // Networking swallows some failures (DNS routing, isolation clean-up): every host command must have been scripted.
  expect(d.runner.unscripted).toEqual([]);
}, 10_000);

type Stage = 'created' | 'copy' | 'tooling' | 'session';

/** vmRun with recording guest hooks; `abortAt` cancels the operation during that stage. */
function harness(o: { abortAt?: Stage; sessionStatus?: number; copyError?: Error } = {}) {
  const aborter = new AbortController();
  const events: VmRunEvent[] = [];
  const guest: GuestCalls = { copies: [], tooling: [], sessions: [] };
  const deps: VmRunDeps = {
    client: d.client,
    async copyWorkspace(info, ws, signal) {
      guest.copies.push({ info, workspace: ws });
      if (o.copyError) throw o.copyError;
      if (o.abortAt === 'copy') {
        aborter.abort();
        expect(signal.aborted).toBe(true); // the real copy's tar and ssh are killed by it
        throw new Error('tar: killed');
      }
    },
    async startTooling(_info, ws) {
      guest.tooling.push(ws.plan.name);
      if (o.abortAt === 'tooling') aborter.abort(); // the bootstrap never fails vm run, so the copy is done
    },
    async session(info, command, signal) {
      guest.sessions.push({ info, command });
      if (o.abortAt === 'session') {
        aborter.abort();
        expect(signal.aborted).toBe(true);
      }
      return o.sessionStatus ?? 0;
    },
    onEvent: (e) => {
      events.push(e);
      if (o.abortAt === 'created' && e.type === 'created') aborter.abort();
    },
  };
  const run = (req: Partial<VmRunRequest> = {}) =>
    vmRun(deps, { create: { name: 'box', image: IMAGE }, command: [], rm: false, ...req }, aborter.signal);
  return { run, abort: () => aborter.abort(), events, guest };
}

async function vms(): Promise<VmView[]> {
  return (await d.client.listVms()).vms;
}

/** The VM dirs and their files under the daemon's state dir. */
function vmFiles(): string[] {
  return readdirSync(d.paths.vmsDir, { recursive: true, encoding: 'utf8' }).sort();
}

/** The daemon holds the VM, running: its record, files, TAP, trusted host key, Firecracker. */
async function expectKept(): Promise<VmView> {
  const [vm, ...others] = await vms();
  expect(others).toEqual([]);
  expect(vm).toMatchObject({ name: 'box', state: 'running', image: IMAGE });
  if (!vm) throw new Error('unreachable');
  expect(vmFiles()).toEqual(
    [
      vm.id,
      ...['console.log', 'firecracker.log', 'handles.json', 'system.ext4', 'work.ext4'].map(
        (f) => `${vm.id}/${f}`,
      ),
    ].sort(),
  );
  expect([...d.taps]).toEqual([vm.tap]);
  expect(d.knownHosts()).toContain(vm.id);
  expect(d.driver.live.size).toBe(1);
  return vm;
}

/** The daemon holds nothing of any VM: no record, no files, no TAP, no trusted key, no Firecracker. */
function expectGone(): void {
  expect(vmFiles()).toEqual([]);
  expect(d.taps.size).toBe(0);
  expect(d.knownHosts()).not.toMatch(/banger:/);
  expect(d.driver.live.size).toBe(0);
}

async function expectNoVms(): Promise<void> {
  expect(await vms()).toEqual([]);
  expectGone();
}

// Short: a hung flow (a cancellation the daemon never sees) fails in seconds, not at the integration default.
describe('vm run against an in-process daemon', { timeout: 10_000 }, () => {
  it('bare: creates a running VM, opens a login shell on it and keeps it', async () => {
    const h = harness();
    expect(await h.run()).toEqual({ name: 'box', status: 0, kept: true });
    const vm = await expectKept();
    expect(h.guest.sessions).toEqual([
      {
        info: expect.objectContaining({ id: vm.id, guestIp: vm.guestIp, hostKeyAlias: vm.id, user: 'root' }),
        command: undefined,
      },
    ]);
    expect(h.guest.copies).toEqual([]);
    const stages = h.events.flatMap((e) =>
      e.type === 'progress' && e.event.type === 'stage' ? [e.event.stage] : [],
    );
    expect(stages).toEqual([
      'spec',
      'reserve',
      'directory',
      'ssh-keys',
      'system-disk',
      'work-disk',
      'network',
      'firecracker',
      'ssh',
    ]);
    expect(h.events.at(-1)).toEqual({ type: 'created', name: 'box' });
    expect(d.driver.launches.map((l) => l.vmDir)).toEqual([vm.vmDir]);
  });

  it('command: the session runs it and the result carries its exit status', async () => {
    const h = harness({ sessionStatus: 3 });
    expect(await h.run({ command: ['make', 'test'] })).toEqual({ name: 'box', status: 3, kept: true });
    expect(h.guest.sessions.map((s) => s.command)).toEqual([['make', 'test']]);
    await expectKept();
  });

  it('workspace: copies the plan to /root/repo, starts tooling, and runs the command there', async () => {
    const h = harness();
    await h.run({ workspace, command: ['make', 'test'] });
    const vm = await expectKept();
    expect(h.guest.copies).toEqual([{ info: expect.objectContaining({ id: vm.id }), workspace }]);
    expect(h.events).toContainEqual({ type: 'copying', root: '/home/me/repo', dest: '/root/repo' });
    expect(h.events).toContainEqual({ type: 'copied', kind: 'git', paths: 3 });
    expect(h.guest.tooling).toEqual(['repo']);
    expect(h.guest.sessions.map((s) => s.command)).toEqual([
      ['sh', '-c', 'cd /root/repo && exec "$@"', 'sh', 'make', 'test'],
    ]);
  });

  describe('--rm', () => {
    it('deletes the VM after a successful command', async () => {
      const h = harness();
      expect(await h.run({ command: ['true'], rm: true })).toEqual({ name: 'box', status: 0, kept: false });
      await expectNoVms();
      expect(h.events.at(-1)).toEqual({ type: 'deleted', name: 'box' });
    });

    it('deletes the VM after a failing command and passes its status through', async () => {
      const h = harness({ sessionStatus: 1 });
      expect(await h.run({ command: ['false'], rm: true })).toEqual({ name: 'box', status: 1, kept: false });
      await expectNoVms();
    });

    it('deletes the VM when the copy fails, and rethrows the failure', async () => {
      const h = harness({ copyError: new AppError('operation_failed', 'tar: broken pipe') });
      await expect(h.run({ workspace, command: ['make'], rm: true })).rejects.toMatchObject({
        code: 'operation_failed',
        message: 'tar: broken pipe',
      });
      expect(h.guest.sessions).toEqual([]);
      await expectNoVms();
    });
  });

  it('--rm keeps a VM whose guest never answered, for inspection', async () => {
    const h = harness();
    const held = d.holds.arm('ssh');
    const failure = h.run({ rm: true, command: ['make'] }).catch((err: unknown) => err);
    await held.reached;
    held.fail(new AppError('timeout', 'no SSH banner'));
    expect(await failure).toMatchObject({ code: 'timeout', message: expect.stringMatching(/left running/) });
    expect(h.events).toContainEqual({ type: 'rm-skipped', reason: 'the VM is kept so you can inspect it' });
    expect(h.guest.sessions).toEqual([]);
    await expectKept();
  });

  describe('cancellation', () => {
    // The client closes the create request; the daemon notices at its next step or wait and undoes the create.
    describe.each([
      ['creating the system disk', 'system-disk'],
      ['booting the VM', 'launch'],
      ['waiting for SSH', 'ssh'],
    ] as [string, HoldPoint][])('while the daemon is %s', (_what, point) => {
      it.each([true, false])('rm=%s: the daemon undoes the create; nothing is left', async (rm) => {
        const h = harness();
        const held = d.holds.arm(point);
        const failure = h.run({ rm, workspace, command: ['make'] }).then(
          () => new Error('vm run succeeded'),
          (err: unknown) => err,
        );
        await held.reached;
        const closed = d.nextClientAbort();
        h.abort();
        await closed;
        held.release();
        expect(await failure).toMatchObject({ code: 'cancelled', message: 'cancelled' });
        await vi.waitFor(async () => expect(await vms()).toEqual([]), { timeout: 5000 });
        expectGone();
        expect(h.guest).toEqual({ copies: [], tooling: [], sessions: [] });
      });
    });

    it('right after create with --rm: no copy, no session; the VM is deleted', async () => {
      const h = harness({ abortAt: 'created' });
      await expect(h.run({ rm: true, workspace })).rejects.toMatchObject({
        code: 'cancelled',
        message: 'cancelled; the VM is being cleaned up',
      });
      expect(h.guest).toEqual({ copies: [], tooling: [], sessions: [] });
      await expectNoVms();
    });

    it('right after create without --rm: the VM is kept, running', async () => {
      const h = harness({ abortAt: 'created' });
      await expect(h.run({ workspace })).rejects.toMatchObject({ code: 'cancelled' });
      expect(h.guest.copies).toEqual([]);
      await expectKept();
    });

    it('during the copy with --rm: no tooling, no session; the VM is deleted', async () => {
      const h = harness({ abortAt: 'copy' });
      await expect(h.run({ rm: true, workspace, command: ['make'] })).rejects.toMatchObject({
        code: 'cancelled',
      });
      expect(h.guest.copies).toHaveLength(1);
      expect(h.guest.tooling).toEqual([]);
      expect(h.guest.sessions).toEqual([]);
      await expectNoVms();
    });

    it('during the copy without --rm: the VM is kept, running', async () => {
      const h = harness({ abortAt: 'copy' });
      await expect(h.run({ workspace, command: ['make'] })).rejects.toMatchObject({ code: 'cancelled' });
      expect(h.guest.sessions).toEqual([]);
      await expectKept();
    });

    it('after the copy, while tooling starts, with --rm: no session; the VM is deleted', async () => {
      const h = harness({ abortAt: 'tooling' });
      await expect(h.run({ rm: true, workspace, command: ['make'] })).rejects.toMatchObject({
        code: 'cancelled',
      });
      expect(h.guest.tooling).toEqual(['repo']);
      expect(h.guest.sessions).toEqual([]);
      await expectNoVms();
    });

    it('during the session with --rm: a clean exit becomes 130; the VM is deleted', async () => {
      const h = harness({ abortAt: 'session' });
      expect(await h.run({ rm: true, command: ['sleep', '100'] })).toEqual({
        name: 'box',
        status: 130,
        kept: false,
      });
      await expectNoVms();
    });

    it("during the session without --rm: the command's own status is kept, and the VM", async () => {
      const h = harness({ abortAt: 'session', sessionStatus: 2 });
      expect(await h.run({ command: ['make'] })).toEqual({ name: 'box', status: 2, kept: true });
      await expectKept();
    });
  });
});
