import { constants } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { routes } from '../../api/routes.js';
import { createVmRequest, killVmRequest, logSource, setVmRequest, startVmRequest } from '../../api/vms.js';
import { AppError } from '../../domain/errors.js';
import { readFileChunks } from '../../host/vm/follow-file.js';
import type { DaemonContext } from '../context.js';
import { streamOperation } from '../ndjson.js';
import { on } from './on.js';
import { registerSnapshotRoutes } from './snapshots.js';

const refParams = z.object({ ref: z.string().min(1) });
/** `all=1`: the warm pool's VMs too. */
const listQuery = z.object({ all: z.enum(['0', '1']).optional() });
const logsQuery = z.object({
  source: logSource.default('console'),
  follow: z.enum(['0', '1']).default('0'),
  tail: z.coerce.number().int().min(0).optional(),
});

/** Parses `KILL`, `SIGKILL` or `9`-style names into a Node signal name; only real signals pass. */
function parseSignal(text: string | undefined): NodeJS.Signals {
  if (text === undefined) return 'SIGKILL';
  const upper = text.toUpperCase();
  const name = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals;
  if (Object.hasOwn(constants.signals, name)) return name;
  throw new AppError('invalid_argument', `unknown signal "${text}"; use a name such as TERM, KILL or INT`);
}

/** The VM lifecycle routes, and the VMs' snapshots; long operations answer with NDJSON progress. */
export function registerVmRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const vms = () => ctx.vms;
  registerSnapshotRoutes(app, ctx);

  on(app, routes.listVms, async (request) => ({
    vms: vms().list({ all: listQuery.parse(request.query ?? {}).all === '1' }),
  }));

  on(app, routes.createVm, async (request, reply) => {
    const body = createVmRequest.parse(request.body ?? {});
    await streamOperation(reply, (emit, signal) => vms().create(body, emit, signal));
  });

  on(app, routes.showVm, async (request) => ({
    vm: await vms().showLive(refParams.parse(request.params).ref),
  }));

  on(app, routes.startVm, async (request, reply) => {
    const { ref } = refParams.parse(request.params);
    const { wait } = startVmRequest.parse(request.body ?? {});
    await streamOperation(reply, async (emit, signal) => ({
      vm: await vms().start(ref, emit, { ...(wait !== undefined ? { wait } : {}), signal }),
    }));
  });

  on(app, routes.restartVm, async (request, reply) => {
    const { ref } = refParams.parse(request.params);
    const { wait } = startVmRequest.parse(request.body ?? {});
    await streamOperation(reply, async (emit, signal) => ({
      vm: await vms().restart(ref, emit, { ...(wait !== undefined ? { wait } : {}), signal }),
    }));
  });

  on(app, routes.stopVm, async (request) => ({
    vm: await vms().stop(refParams.parse(request.params).ref),
  }));

  on(app, routes.killVm, async (request) => {
    const { signal } = killVmRequest.parse(request.body ?? {});
    return { vm: await vms().kill(refParams.parse(request.params).ref, parseSignal(signal)) };
  });

  on(app, routes.deleteVm, async (request) => vms().delete(refParams.parse(request.params).ref));

  on(app, routes.setVm, async (request) => ({
    vm: await vms().set(refParams.parse(request.params).ref, setVmRequest.parse(request.body ?? {})),
  }));

  on(app, routes.vmSsh, async (request) => vms().sshInfo(refParams.parse(request.params).ref));

  on(app, routes.vmStats, async (request) => vms().stats(refParams.parse(request.params).ref));

  on(app, routes.vmLogs, async (request, reply) => {
    const vm = vms().show(refParams.parse(request.params).ref);
    const query = logsQuery.parse(request.query);
    const file = join(vm.vmDir, query.source === 'console' ? 'console.log' : 'firecracker.log');
    const aborter = new AbortController();
    reply.raw.once('close', () => aborter.abort());
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    try {
      for await (const chunk of readFileChunks(file, {
        follow: query.follow === '1',
        ...(query.tail !== undefined ? { tailBytes: query.tail } : {}),
        signal: aborter.signal,
        until: () => vms().runtime.get(vm.id) !== undefined,
      })) {
        if (reply.raw.destroyed) break;
        reply.raw.write(chunk);
      }
    } finally {
      reply.raw.end();
    }
  });
}
