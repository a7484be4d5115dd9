import { randomUUID } from 'node:crypto';
import type { SessionLogChunk, SessionView, StartSessionRequest } from '../../../api/sessions.js';
import { AppError, type ErrorCode } from '../../../domain/errors.js';
import type { VmService } from './vm-service.js';

/** How long a session request may take the guest agent (a start runs its preflight). */
const SESSION_TIMEOUT_MS = 10_000;

/** The most a `logs` call returns. */
const LOG_CHUNK_BYTES = 64 * 1024;

/** An attach lease lapses this long after its holder last polled (a client that died lets go). */
const ATTACH_LEASE_MS = 5000;

/** The agent's refusals, by their wording (docs/guest-agent.md), mapped to banger's error codes. */
const REFUSALS: ReadonlyArray<[RegExp, ErrorCode]> = [
  [/^no session /, 'not_found'],
  [
    / is already running$| is not running$|does not take input|input is full|input is closed|^too many sessions/,
    'conflict',
  ],
  [
    /^invalid session name|does not exist in the guest|is not on the guest's PATH|is not an executable file| must be |is not of the form K=V/,
    'invalid_argument',
  ],
];

function classify(err: unknown, vmName: string): AppError {
  if (!(err instanceof AppError)) throw err;
  const agentError = err.details?.agentError;
  if (typeof agentError === 'string') {
    const code = REFUSALS.find(([re]) => re.test(agentError))?.[1] ?? 'operation_failed';
    return new AppError(code, agentError);
  }
  return new AppError(
    err.code === 'timeout' ? 'timeout' : 'operation_failed',
    `the guest agent of VM ${vmName} is not answering (${err.message}); sessions need it: see \`banger vm show ${vmName}\``,
  );
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The agent's session record (snake_case, as it keeps it) as the API's view. */
function toView(raw: unknown): SessionView {
  const r = (raw ?? {}) as Record<string, unknown>;
  const exitCode = num(r.exit_code);
  return {
    name: str(r.name),
    pid: num(r.pid) ?? 0,
    state: r.state === 'running' ? 'running' : 'exited',
    argv: Array.isArray(r.argv) ? r.argv.map((a) => str(a)) : [],
    cwd: str(r.cwd),
    stdin: r.stdin === 'pipe' ? 'pipe' : 'detached',
    startedAt: str(r.started_at),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(typeof r.signal === 'string' ? { signal: r.signal } : {}),
    ...(typeof r.ended_at === 'string' ? { endedAt: r.ended_at } : {}),
  };
}

/**
 * Sessions of a running VM, relayed to its guest agent: the processes and
 * their logs live in the guest (they outlive this daemon), so nothing here
 * keeps state.
 */
export class SessionService {
  /** Who is attached to which session (`<vm id>/<name>`): one terminal at a time. */
  private readonly leases = new Map<string, { token: string; until: number }>();

  constructor(private readonly vms: VmService) {}

  private leaseKey(ref: string, name: string): string {
    return `${this.vms.deps.repo.resolve(ref).id}/${name}`;
  }

  /**
   * Takes the session's attach lease (AppError conflict while another
   * terminal holds it). The holder keeps it by passing its token to `logs`
   * and `input`, and gives it back with `detach`.
   */
  async attach(ref: string, name: string): Promise<{ token: string }> {
    const s = await this.show(ref, name);
    if (s.stdin !== 'pipe') {
      throw new AppError(
        'conflict',
        `session ${name} does not take input (started with --stdin-mode detached); use \`banger vm session logs --follow\``,
      );
    }
    if (s.state !== 'running') throw new AppError('conflict', `session ${name} is not running`);
    const key = this.leaseKey(ref, name);
    const held = this.leases.get(key);
    if (held && held.until > Date.now()) {
      throw new AppError('conflict', `session ${name} is attached in another terminal; one attach at a time`);
    }
    const token = randomUUID();
    this.leases.set(key, { token, until: Date.now() + ATTACH_LEASE_MS });
    return { token };
  }

  detach(ref: string, name: string, token: string): void {
    const key = this.leaseKey(ref, name);
    if (this.leases.get(key)?.token === token) this.leases.delete(key);
  }

  /** Renews the lease of `token`; a token that lost it (lapsed, or never had it) is refused. */
  private renew(ref: string, name: string, token: string): void {
    const lease = this.leases.get(this.leaseKey(ref, name));
    if (lease?.token !== token) {
      throw new AppError('conflict', `this terminal is no longer attached to session ${name}; attach again`);
    }
    lease.until = Date.now() + ATTACH_LEASE_MS;
  }

  private async call(ref: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const vm = this.vms.deps.repo.resolve(ref);
    if (!this.vms.runtime.get(vm.id)) {
      throw new AppError(
        'conflict',
        `VM ${vm.name} is not running; start it with \`banger vm start ${vm.name}\``,
      );
    }
    // Using a VM's sessions is using the VM (auto_stop_stale_after).
    this.vms.activity.touch(vm.id);
    try {
      return await this.vms.deps.agent.request(this.vms.vmDir(vm.id), body, SESSION_TIMEOUT_MS);
    } catch (err) {
      throw classify(err, vm.name);
    }
  }

  async start(ref: string, req: StartSessionRequest): Promise<SessionView> {
    await this.call(ref, {
      op: 'session_start',
      name: req.name,
      argv: req.argv,
      ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
      ...(req.env !== undefined ? { env: req.env } : {}),
      ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
      ...(req.require !== undefined ? { require: req.require } : {}),
    });
    return this.show(ref, req.name);
  }

  async list(ref: string): Promise<SessionView[]> {
    const r = await this.call(ref, { op: 'session_list' });
    return (Array.isArray(r.sessions) ? r.sessions : []).map(toView);
  }

  async show(ref: string, name: string): Promise<SessionView> {
    const found = (await this.list(ref)).find((s) => s.name === name);
    if (!found)
      throw new AppError('not_found', `no session ${name} in this VM; see \`banger vm session list\``);
    return found;
  }

  async logs(
    ref: string,
    name: string,
    q: { stream: 'stdout' | 'stderr'; offset: number; max?: number | undefined; token?: string | undefined },
  ): Promise<SessionLogChunk> {
    if (q.token !== undefined) this.renew(ref, name, q.token);
    const r = await this.call(ref, {
      op: 'session_logs',
      name,
      stream: q.stream,
      offset: q.offset,
      // 64 KiB a call keeps every answer a modest line; a reader simply asks again.
      max: Math.min(q.max ?? LOG_CHUNK_BYTES, LOG_CHUNK_BYTES),
    });
    return {
      data: str(r.data),
      offset: num(r.offset) ?? q.offset,
      next: num(r.next) ?? q.offset,
      running: r.running === true,
    };
  }

  /** SIGTERM now, SIGKILL after `graceMs` if it still runs (the agent keeps the timer). */
  async stop(ref: string, name: string, graceMs = 5000): Promise<void> {
    await this.call(ref, { op: 'session_stop', name, grace_ms: graceMs });
  }

  async kill(ref: string, name: string, signal = 'KILL'): Promise<void> {
    await this.call(ref, { op: 'session_signal', name, signal });
  }

  /** Bytes (base64) for a pipe-mode session's stdin, then EOF with `close`; only from the attached terminal while one is. */
  async input(
    ref: string,
    name: string,
    o: { data?: string | undefined; close?: boolean | undefined; token?: string | undefined },
  ) {
    const lease = this.leases.get(this.leaseKey(ref, name));
    if (o.token !== undefined || (lease && lease.until > Date.now())) this.renew(ref, name, o.token ?? '');
    if (o.data) await this.call(ref, { op: 'session_write', name, data: o.data });
    if (o.close) await this.call(ref, { op: 'session_close_stdin', name });
  }
}
