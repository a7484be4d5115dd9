import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../domain/errors.js';
import type { GuestAgent } from './ports.js';

/** How long one attempt to reach the agent may take; a restored guest's agent answers within moments. */
const OPEN_TIMEOUT_MS = 5000;

/**
 * Runs a shell script as root in the guest through its agent (a terminal
 * running `/bin/sh -c SCRIPT`) and returns what it printed once it ended.
 * The agent is asked again until `timeoutMs` passes: right after a restore
 * its first connection can race the vsock device's reset.
 */
export async function runGuestScript(
  agent: GuestAgent,
  vmDir: string,
  script: string,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let opened: Awaited<ReturnType<GuestAgent['openStream']>> | undefined;
  while (!opened) {
    try {
      opened = await agent.openStream(
        vmDir,
        { op: 'pty_open', cols: 250, rows: 50, argv: ['/bin/sh', '-c', script] },
        OPEN_TIMEOUT_MS,
      );
    } catch (err) {
      if (Date.now() > deadline)
        throw new AppError('operation_failed', `the guest agent did not answer: ${(err as Error).message}`);
      await sleep(250);
    }
  }
  const { stream } = opened;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => {
        stream.destroy();
        reject(new AppError('timeout', `a script in the guest did not finish within ${timeoutMs / 1000} s`));
      },
      Math.max(0, deadline - Date.now()),
    );
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8').replaceAll('\r\n', '\n'));
    };
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', done);
    stream.once('close', done);
    stream.resume();
  });
}
