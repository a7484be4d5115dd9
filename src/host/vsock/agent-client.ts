import { AppError } from '../../domain/errors.js';
import { connectVsock } from './hybrid.js';

/** The vsock port banger's guest agent listens on (docs/guest-agent.md). */
export const AGENT_VSOCK_PORT = 52;

/** The longest response line read from the agent (a session log chunk of 256 KiB is ~350 KB of base64). */
const MAX_LINE = 4 * 1024 * 1024;

/** The agent's refusal as one printable line of reasonable length: it is the guest's text, shown to the user. */
function refusalLine(error: unknown): string {
  if (typeof error !== 'string' || error === '') return 'the guest agent refused, giving no reason';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const line = (error.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * The agent's response line as an object with `ok: true`, or throws the AppError
 * agentRequest rejects with: not JSON, not an object, or a refusal (then with the
 * agent's own line as the message, and `details.agentError`).
 */
export function agentResponse(line: string): Record<string, unknown> {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    throw new AppError('operation_failed', 'the guest agent sent a line that is not JSON');
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply))
    throw new AppError('operation_failed', 'the guest agent sent something that is not a JSON object');
  const object = reply as Record<string, unknown>;
  if (object.ok !== true) {
    const why = refusalLine(object.error);
    throw new AppError('operation_failed', why, { details: { agentError: why } });
  }
  return object;
}

export interface AgentPing {
  agent: string;
  protocol: number;
  uptimeSeconds: number;
  load: number[];
}

/**
 * Sends one request line to the guest agent over the VM's hybrid vsock
 * socket and returns its one response object. Rejects (AppError) when the
 * agent is not there, is silent past `timeoutMs`, or answers `ok: false`
 * (then with the agent's own line as the message, and `details.agentError`).
 */
export async function agentRequest(
  udsPath: string,
  request: Record<string, unknown>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  const socket = await connectVsock(udsPath, AGENT_VSOCK_PORT, timeoutMs);
  try {
    return await new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () => reject(new AppError('timeout', `the guest agent did not answer within ${timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      const done = (err: AppError | undefined, value?: Record<string, unknown>) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value ?? {});
      };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\n');
        if (end < 0) {
          if (text.length > MAX_LINE)
            done(new AppError('operation_failed', 'the guest agent sent an overlong line'));
          return;
        }
        try {
          done(undefined, agentResponse(text.slice(0, end)));
        } catch (err) {
          done(err as AppError);
        }
      });
      socket.on('close', () =>
        done(new AppError('operation_failed', 'the guest agent closed the connection without answering')),
      );
      // A reset (the VM stopping, a hostile guest) must fail this request, never the daemon.
      socket.on('error', (err) =>
        done(new AppError('operation_failed', `the guest agent connection failed: ${err.message}`)),
      );
      socket.resume();
      socket.write(`${JSON.stringify({ id: 1, ...request })}\n`);
    });
  } finally {
    socket.destroy();
  }
}

/** Asks the agent how the guest is: uptime and load. */
export async function pingAgent(udsPath: string, timeoutMs: number): Promise<AgentPing> {
  const r = await agentRequest(udsPath, { op: 'ping' }, timeoutMs);
  const load = Array.isArray(r.load)
    ? r.load.filter((n): n is number => typeof n === 'number' && Number.isFinite(n)).slice(0, 3)
    : [];
  return {
    agent: typeof r.agent === 'string' ? r.agent : 'unknown',
    protocol: typeof r.protocol === 'number' ? r.protocol : 0,
    uptimeSeconds: typeof r.uptime_s === 'number' && Number.isFinite(r.uptime_s) ? r.uptime_s : 0,
    load,
  };
}
