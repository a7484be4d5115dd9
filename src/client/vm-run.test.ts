import { describe, expect, it } from 'vitest';
import type { CreateVmRequest, VmSshInfo, VmView } from '../api/vms.js';
import { AppError } from '../domain/errors.js';
import { type VmRunDeps, type VmRunEvent, type VmRunRequest, vmRun } from './vm-run.js';
import type { PreparedWorkspace } from './workspace.js';

const info = { name: 'box', guestIp: '172.16.0.2' } as VmSshInfo;
const workspace: PreparedWorkspace = {
  plan: { kind: 'git', root: '/home/me/repo', name: 'repo', entries: ['a', 'b', 'c'], trees: [] },
  branch: 'try',
};

type Stage = 'create' | 'created' | 'copy' | 'session';

/** Records what the operation asked for; `abortAt` aborts the controller during that stage. */
function harness(
  o: { abortAt?: Stage; createError?: AppError; sessionStatus?: number; deleteError?: AppError } = {},
) {
  const aborter = new AbortController();
  const calls: string[] = [];
  const events: VmRunEvent[] = [];
  let sessionCommand: string[] | undefined | null = null;
  const deps: VmRunDeps = {
    client: {
      async createVm(req: CreateVmRequest, onStage, signal) {
        calls.push(`create wait=${req.wait}`);
        onStage({ type: 'stage', stage: 'boot', message: 'booting' });
        if (o.createError) throw o.createError;
        if (o.abortAt === 'create') {
          aborter.abort();
          expect(signal?.aborted).toBe(true); // the daemon sees the request closed and undoes the create
          throw new AppError('cancelled', 'cancelled');
        }
        if (o.abortAt === 'created') aborter.abort();
        return { vm: { name: 'box' } as VmView };
      },
      async vmSsh(ref) {
        calls.push(`ssh-info ${ref}`);
        return info;
      },
      async deleteVm(ref) {
        calls.push(`delete ${ref}`);
        if (o.deleteError) throw o.deleteError;
        return {};
      },
    },
    async copyWorkspace(_info, ws, signal) {
      calls.push(`copy ${ws.plan.root} branch=${ws.branch}`);
      if (o.abortAt === 'copy') {
        aborter.abort();
        expect(signal.aborted).toBe(true);
        throw new Error('tar: killed');
      }
    },
    async startTooling(_info, ws) {
      calls.push(`tooling ${ws.plan.name}`);
    },
    async session(_info, command, signal) {
      calls.push('session');
      sessionCommand = command;
      if (o.abortAt === 'session') {
        aborter.abort();
        expect(signal.aborted).toBe(true);
      }
      return o.sessionStatus ?? 0;
    },
    onEvent: (e) => events.push(e),
  };
  const run = (req: Partial<VmRunRequest> = {}) =>
    vmRun(deps, { create: { name: 'box' }, command: [], rm: false, ...req }, aborter.signal);
  return { run, calls, events, command: () => sessionCommand };
}

describe('vmRun', () => {
  it('bare: creates, waits for SSH, opens a login shell and keeps the VM', async () => {
    const h = harness({ sessionStatus: 0 });
    expect(await h.run()).toEqual({ name: 'box', status: 0, kept: true });
    expect(h.calls).toEqual(['create wait=true', 'ssh-info box', 'session']);
    expect(h.command()).toBeUndefined();
    expect(h.events.map((e) => e.type)).toEqual(['progress', 'created']);
  });

  it('command: runs it as argv and returns its status', async () => {
    const h = harness({ sessionStatus: 3 });
    expect(await h.run({ command: ['make', 'test'] })).toMatchObject({ status: 3, kept: true });
    expect(h.command()).toEqual(['make', 'test']);
  });

  it('workspace: copies the planned tree, starts tooling, then runs the command in /root/repo', async () => {
    const h = harness();
    await h.run({ workspace, command: ['make', 'test'] });
    expect(h.calls).toEqual([
      'create wait=true',
      'ssh-info box',
      'copy /home/me/repo branch=try',
      'tooling repo',
      'session',
    ]);
    expect(h.command()).toEqual(['sh', '-c', 'cd /root/repo && exec "$@"', 'sh', 'make', 'test']);
    expect(h.events).toContainEqual({ type: 'copying', root: '/home/me/repo', dest: '/root/repo' });
    expect(h.events).toContainEqual({ type: 'copied', kind: 'git', paths: 3 });
  });

  it('workspace without a command: a login shell in /root/repo', async () => {
    const h = harness();
    await h.run({ workspace });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion in the guest, not a template
    expect(h.command()).toEqual(['sh', '-c', 'cd /root/repo && exec "${SHELL:-/bin/sh}" -l']);
  });

  it('--rm: deletes the VM after the command, with its status', async () => {
    const h = harness({ sessionStatus: 1 });
    expect(await h.run({ command: ['false'], rm: true })).toEqual({ name: 'box', status: 1, kept: false });
    expect(h.calls.at(-1)).toBe('delete box');
    expect(h.events.at(-1)).toEqual({ type: 'deleted', name: 'box' });
  });

  it('--rm keeps a VM whose create timed out, for inspection, and rethrows', async () => {
    const h = harness({ createError: new AppError('timeout', 'SSH did not answer') });
    await expect(h.run({ rm: true })).rejects.toMatchObject({ code: 'timeout' });
    expect(h.calls).toEqual(['create wait=true']);
    expect(h.events.map((e) => e.type)).toContain('rm-skipped');
  });

  it('a failed delete is reported once; an already-gone VM is not', async () => {
    const failing = harness({ deleteError: new AppError('operation_failed', 'disk busy') });
    await failing.run({ rm: true });
    expect(failing.events.at(-1)).toEqual({ type: 'delete-failed', name: 'box', message: 'disk busy' });
    const gone = harness({ deleteError: new AppError('not_found', 'no such VM') });
    await gone.run({ rm: true });
    expect(gone.events.map((e) => e.type)).not.toContain('delete-failed');
  });

  describe('cancellation', () => {
    it('during create: rejects cancelled; nothing to delete (the daemon undid the create)', async () => {
      const h = harness({ abortAt: 'create' });
      await expect(h.run({ rm: true, workspace })).rejects.toMatchObject({ code: 'cancelled' });
      expect(h.calls).toEqual(['create wait=true']);
    });

    it('right after create: no copy, no session; --rm deletes the VM', async () => {
      const h = harness({ abortAt: 'created' });
      await expect(h.run({ rm: true, workspace })).rejects.toMatchObject({
        code: 'cancelled',
        message: 'cancelled; the VM is being cleaned up',
      });
      expect(h.calls).toEqual(['create wait=true', 'delete box']);
    });

    it('during the copy: no tooling, no session; --rm deletes the VM', async () => {
      const h = harness({ abortAt: 'copy' });
      await expect(h.run({ rm: true, workspace })).rejects.toMatchObject({ code: 'cancelled' });
      expect(h.calls).toEqual([
        'create wait=true',
        'ssh-info box',
        'copy /home/me/repo branch=try',
        'delete box',
      ]);
    });

    it('during the copy without --rm: the VM is kept', async () => {
      const h = harness({ abortAt: 'copy' });
      await expect(h.run({ workspace })).rejects.toMatchObject({ code: 'cancelled' });
      expect(h.calls).not.toContain('delete box');
    });

    it('during the session: a clean exit becomes 130; --rm deletes the VM', async () => {
      const h = harness({ abortAt: 'session', sessionStatus: 0 });
      expect(await h.run({ rm: true, command: ['sleep', '100'] })).toEqual({
        name: 'box',
        status: 130,
        kept: false,
      });
      expect(h.calls.at(-1)).toBe('delete box');
    });

    it("during the session: the command's own failure status is kept", async () => {
      const h = harness({ abortAt: 'session', sessionStatus: 2 });
      expect((await h.run({ command: ['make'] })).status).toBe(2);
    });
  });
});
