import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { NDJSON_CONTENT_TYPE } from '../../api/progress.js';
import { routes } from '../../api/routes.js';
import type { DaemonContext } from '../context.js';
import { VmChangeTracker } from '../services/vm/watch.js';
import { on } from './on.js';

/** How often the daemon looks for VM changes per open stream: a change reaches UIs within this. */
const SAMPLE_MS = 500;

/** `GET /v1/events`: the VM snapshot, then each change, as NDJSON until the client goes away. */
export function registerEventRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  // Streams never end on their own: end them when the daemon shuts down, or close() would wait forever.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const out of open) out.end();
  });
  on(app, routes.events, async (_request, reply) => {
    reply.hijack();
    const out = reply.raw;
    open.add(out);
    out.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store' });
    const tracker = new VmChangeTracker();
    const sample = () => {
      if (out.destroyed) return;
      for (const event of tracker.next(ctx.vms.list())) out.write(`${JSON.stringify(event)}\n`);
    };
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    await new Promise<void>((resolve) => out.once('close', resolve));
    clearInterval(timer);
    open.delete(out);
  });
}
