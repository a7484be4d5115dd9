import type { VmView } from '../../../api/vms.js';
import type { GuestAgent } from './ports.js';

/** How long a health check waits for the guest agent. */
const AGENT_TIMEOUT_MS = 1000;

export type AgentHealthView = NonNullable<VmView['agent']>;

/**
 * What running VMs' guest agents last said: the health views show, whether a
 * guest runs sessions (the activity sample), and whether the agent has
 * answered since the VM started (only then does its silence mean anything to
 * a stop, see stop-vm.ts). Forgotten when the VM stops.
 */
export class AgentHealth {
  private readonly last = new Map<string, AgentHealthView>();
  private readonly answered = new Set<string>();

  constructor(
    private readonly agent: GuestAgent,
    private readonly vmDir: (id: string) => string,
    /** False once the VM stopped meanwhile: its answer is not kept. */
    private readonly running: (id: string) => boolean,
  ) {}

  /** Asks the agent and remembers the answer; false when it does not answer. */
  async probe(id: string): Promise<boolean> {
    const health = await this.agent
      .ping(this.vmDir(id), AGENT_TIMEOUT_MS)
      .then((h) => ({ answering: true, uptimeSeconds: Math.round(h.uptimeSeconds), load: h.load }))
      .catch(() => ({ answering: false }));
    if (this.running(id)) {
      this.last.set(id, { ...health, checkedAt: new Date().toISOString() });
      if (health.answering) this.answered.add(id);
    }
    return health.answering;
  }

  /** The activity sample's probe: whether the agent answers and the guest runs a session. */
  async runsSessions(id: string): Promise<boolean> {
    if (!(await this.probe(id))) return false;
    const listed = await this.agent
      .request(this.vmDir(id), { op: 'session_list' }, AGENT_TIMEOUT_MS)
      .catch(() => undefined);
    const sessions = Array.isArray(listed?.sessions) ? listed.sessions : [];
    return sessions.some((s) => (s as { state?: unknown } | null)?.state === 'running');
  }

  view(id: string): AgentHealthView | undefined {
    return this.last.get(id);
  }

  /** Whether the agent answered since the VM started. */
  answeredSinceStart(id: string): boolean {
    return this.answered.has(id);
  }

  forget(id: string): void {
    this.last.delete(id);
    this.answered.delete(id);
  }
}
