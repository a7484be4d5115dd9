import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DaemonContext } from '../context.js';
import { runChecks } from '../services/doctor/registry.js';
import { listVmPorts } from '../services/vm/guest-ports.js';

/** The web listener's own route (the CLI runs `ss` over SSH itself): a VM's listening ports. */
const PORTS_PATH = '/v1/web/vms/:ref/ports';

const refParams = z.object({ ref: z.string().min(1) });

/**
 * `GET /v1/web/vms/:ref/ports` (behind the guard like the API): `{ports,
 * dnsRouting}`, the ports as `banger vm ports --json` prints them, and
 * whether `<vm>.vm` names resolve on this host (doctor's `dns-routing`
 * check passes; else its fix), so the page links a port only
 * where the link would work.
 */
export function registerPortsRoute(app: FastifyInstance, ctx: DaemonContext): void {
  app.get(PORTS_PATH, async (request) => {
    const { ref } = refParams.parse(request.params);
    const check = ctx.doctorChecks.filter((c) => c.id === 'dns-routing');
    const [ports, [routing]] = await Promise.all([
      listVmPorts(ctx.vms, ctx.runner, ref),
      runChecks(check, ctx),
    ]);
    return {
      ports,
      dnsRouting: routing
        ? { ok: routing.status === 'pass', ...(routing.fix ? { fix: routing.fix } : {}) }
        : { ok: false },
    };
  });
}
