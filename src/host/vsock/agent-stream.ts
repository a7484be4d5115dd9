import type { Socket } from 'node:net';
import { AppError } from '../../domain/errors.js';
import { AGENT_VSOCK_PORT, agentResponse } from './agent-client.js';
import { connectVsock } from './hybrid.js';

/** The longest response line before a stream (`pty_open`'s is under 100 bytes). */
const MAX_LINE = 64 * 1024;

export interface AgentStream {
  /** The agent's response line, `ok: true`. */
  response: Record<string, unknown>;
  /**
   * The connection, now carrying raw bytes both ways (a terminal's, for
   * `pty_open`). It comes back paused, holding any bytes the agent sent right
   * after its response line: resume or pipe it. An error on it is already
   * listened to (ignored) so that a reset before the caller listens cannot
   * crash the process; the caller destroys it when done.
   */
  socket: Socket;
}

/**
 * Sends one request line to the guest agent, like agentRequest, for an op after
 * whose response the connection becomes a byte stream (docs/guest-agent.md,
 * Terminals). Reads exactly the response line, no further; rejects (AppError)
 * like agentRequest: no agent, silence past `timeoutMs`, or `ok: false`.
 */
export async function openAgentStream(
  udsPath: string,
  request: Record<string, unknown>,
  timeoutMs: number,
): Promise<AgentStream> {
  const deadline = Date.now() + timeoutMs;
  const socket = await connectVsock(udsPath, AGENT_VSOCK_PORT, timeoutMs);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (err: AppError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new AppError('timeout', `the guest agent did not answer within ${timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(0x0a);
      if (end < 0) {
        if (head.length > MAX_LINE)
          fail(new AppError('operation_failed', 'the guest agent sent an overlong line'));
        return;
      }
      let response: Record<string, unknown>;
      try {
        response = agentResponse(head.subarray(0, end).toString('utf8'));
      } catch (err) {
        fail(err as AppError);
        return;
      }
      cleanup();
      socket.pause();
      // The stream's first bytes may have come in the same chunk as the response.
      const rest = head.subarray(end + 1);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ response, socket });
    };
    const onClose = () =>
      fail(new AppError('operation_failed', 'the guest agent closed the connection without answering'));
    const onError = (err: Error) =>
      fail(new AppError('operation_failed', `the guest agent connection failed: ${err.message}`));
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.resume();
    socket.write(`${JSON.stringify({ id: 1, ...request })}\n`);
  });
}
