import { z } from 'zod';
import { vmView } from './vms.js';

/**
 * `GET /v1/events`: a live NDJSON stream of what happens to this user's VMs,
 * for UIs that show them (`banger events`, the TUI). The first line is a
 * snapshot of every VM; then one line per VM that appears or changes (state,
 * address, error, ...; uptime alone is not a change) and one per VM removed.
 * The stream stays open until the client closes it.
 */
const daemonEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), at: z.string(), vms: z.array(vmView) }),
  z.object({ type: z.literal('vm'), at: z.string(), vm: vmView }),
  z.object({ type: z.literal('vm-removed'), at: z.string(), id: z.string(), name: z.string() }),
]);
export type DaemonEvent = z.infer<typeof daemonEvent>;
