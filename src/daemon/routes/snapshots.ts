import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { routes } from '../../api/routes.js';
import { createSnapshotRequest, forkVmRequest } from '../../api/snapshots.js';
import type { DaemonContext } from '../context.js';
import { streamOperation } from '../ndjson.js';
import { on } from './on.js';

const refParams = z.object({ ref: z.string().min(1) });
const nameParams = z.object({ name: z.string().min(1) });

/** Snapshots of running VMs and forks (src/daemon/services/vm/snapshots.ts); both stream their steps. */
export function registerSnapshotRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const snapshots = () => ctx.vms.snapshots;

  on(app, routes.createSnapshot, async (request, reply) => {
    const { ref } = refParams.parse(request.params);
    const { name } = createSnapshotRequest.parse(request.body ?? {});
    await streamOperation(reply, async (emit, signal) => ({
      snapshot: await snapshots().create(ref, name, emit, signal),
    }));
  });

  on(app, routes.forkVm, async (request, reply) => {
    const { ref } = refParams.parse(request.params);
    const body = forkVmRequest.parse(request.body ?? {});
    await streamOperation(reply, async (emit, signal) => ({
      vm: await snapshots().fork(ref, body, emit, signal),
    }));
  });

  on(app, routes.listSnapshots, async () => ({ snapshots: await snapshots().list() }));

  on(app, routes.showSnapshot, async (request) => ({
    snapshot: await snapshots().show(nameParams.parse(request.params).name),
  }));

  on(app, routes.deleteSnapshot, async (request) =>
    snapshots().delete(nameParams.parse(request.params).name),
  );
}
