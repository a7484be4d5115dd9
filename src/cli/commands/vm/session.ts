import type { Command } from 'commander';
import { Option } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import type { SessionView } from '../../../api/sessions.js';
import { AppError } from '../../../domain/errors.js';
import { SESSION_SIGNALS } from '../../../domain/session.js';
import { integerArg } from '../../args.js';
import { printFields, printJson, printTable } from '../../output.js';
import { terminalSafe, terminalSafeStream } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';
import { registerSessionAttach } from './session-attach.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function describeState(s: SessionView): string {
  if (s.state === 'running') return 'running';
  if (s.signal) return `exited (signal ${s.signal})`;
  return `exited (code ${s.exitCode ?? '?'})`;
}

/** Follows (or prints once) a session's stream from the start; ends when the session has exited and all is read. */
export async function* sessionOutput(
  client: BangerClient,
  ref: string,
  name: string,
  o: { stream: 'stdout' | 'stderr'; follow: boolean; token?: string },
): AsyncGenerator<Buffer> {
  let offset = 0;
  for (;;) {
    const chunk = await client.sessionLogs(ref, name, {
      stream: o.stream,
      offset,
      ...(o.token !== undefined ? { token: o.token } : {}),
    });
    const data = Buffer.from(chunk.data, 'base64');
    if (data.length > 0) yield data;
    // The guest says where to go on; only forward (a guest cannot make this loop spin in place).
    const advanced = chunk.next > offset;
    if (advanced) offset = chunk.next;
    if (data.length > 0 && advanced) continue; // more may be waiting right away
    if (!o.follow || !chunk.running) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `banger vm session ...`: long-lived processes kept by the VM's guest agent. */
export function registerSessionCommands(vm: Command): void {
  const session = vm
    .command('session')
    .description('long-lived processes in a VM, kept by its guest agent (they outlive the daemon)');

  session
    .command('start')
    .description('start a session: banger vm session start VM --name N [options] -- CMD...')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .requiredOption('--name <name>', 'session name: lowercase letters, digits, ".", "_" or "-"')
    .option('--cwd <dir>', 'working directory in the guest', '/root')
    .addOption(
      new Option('--stdin-mode <mode>', 'detached (stdin is /dev/null) or pipe (attach can write to it)')
        .choices(['detached', 'pipe'])
        .default('detached'),
    )
    .option('--require-command <cmd>', 'fail unless CMD is on the guest PATH (repeatable)', collect)
    .option('--env <key=value>', 'environment variable for the session (repeatable)', collect)
    .option('--json', 'print the session as JSON')
    .action(
      (
        ref: string,
        cmd: string[],
        o: {
          name: string;
          cwd: string;
          stdinMode: 'detached' | 'pipe';
          requireCommand?: string[];
          env?: string[];
          json?: boolean;
        },
      ) =>
        withClient(async (client) => {
          const { session: s } = await client.startSession(ref, {
            name: o.name,
            argv: cmd,
            cwd: o.cwd,
            stdin: o.stdinMode,
            ...(o.requireCommand ? { require: o.requireCommand } : {}),
            ...(o.env ? { env: o.env } : {}),
          });
          if (o.json) return printJson(s);
          process.stdout.write(`started session ${s.name} (pid ${s.pid})\n`);
        }),
    );

  session
    .command('list')
    .description("a VM's sessions")
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('--json', 'print JSON')
    .action((ref: string, o: { json?: boolean }) =>
      withClient(async (client) => {
        const { sessions } = await client.listSessions(ref);
        if (o.json) return printJson(sessions);
        if (sessions.length === 0) {
          process.stdout.write('no sessions; start one with `banger vm session start`\n');
          return;
        }
        printTable(
          ['name', 'pid', 'state', 'started', 'command'],
          // Everything here comes from the guest: shown with control characters escaped.
          sessions.map((s) =>
            [s.name, String(s.pid), describeState(s), s.startedAt, s.argv.join(' ')].map((c) =>
              terminalSafe(c),
            ),
          ),
        );
      }),
    );

  session
    .command('show')
    .description('one session')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<name>', 'session name')
    .option('--json', 'print JSON')
    .action((ref: string, name: string, o: { json?: boolean }) =>
      withClient(async (client) => {
        const { session: s } = await client.showSession(ref, name);
        if (o.json) return printJson(s);
        const fields: [string, string][] = [
          ['name', s.name],
          ['state', describeState(s)],
          ['pid', String(s.pid)],
          ['command', s.argv.join(' ')],
          ['cwd', s.cwd],
          ['stdin', s.stdin],
          ['started', s.startedAt],
          ...(s.endedAt ? [['ended', s.endedAt] as [string, string]] : []),
        ];
        printFields(fields.map(([k, v]) => [k, terminalSafe(v)] as const));
      }),
    );

  session
    .command('logs')
    .description("a session's output (stdout by default), kept in the guest and size-capped")
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<name>', 'session name')
    .addOption(
      new Option('--stream <stream>', 'which output').choices(['stdout', 'stderr']).default('stdout'),
    )
    .option('-f, --follow', 'keep printing until the session ends or Ctrl-C')
    .option('--raw', 'on a terminal too, print the bytes unchanged (escape sequences included)')
    .action(
      (ref: string, name: string, o: { stream: 'stdout' | 'stderr'; follow?: boolean; raw?: boolean }) =>
        withClient(async (client) => {
          const chunks = sessionOutput(client, ref, name, { stream: o.stream, follow: o.follow === true });
          // Guest programs write these bytes: on a terminal only colours pass, other controls are shown escaped.
          const out = process.stdout.isTTY && !o.raw ? terminalSafeStream(chunks) : chunks;
          for await (const chunk of out) process.stdout.write(chunk);
        }),
    );

  session
    .command('stop')
    .description('SIGTERM, then SIGKILL after the grace period; waits for the exit')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<name>', 'session name')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL (at most 600)', integerArg, 5)
    .action((ref: string, name: string, o: { grace: number }) =>
      withClient(async (client) => {
        if (o.grace > 600) throw new AppError('invalid_argument', `--grace ${o.grace}: at most 600 seconds`);
        await client.stopSession(ref, name, o.grace * 1000);
        const deadline = Date.now() + o.grace * 1000 + 10_000;
        for (;;) {
          const { session: s } = await client.showSession(ref, name);
          if (s.state === 'exited') {
            process.stdout.write(`stopped session ${name}: ${describeState(s)}\n`);
            return;
          }
          if (Date.now() > deadline) {
            throw new AppError(
              'timeout',
              `session ${name} is still running after SIGKILL; see \`banger vm session show\``,
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );

  session
    .command('kill')
    .description("send a signal to a session's process group (default KILL)")
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<name>', 'session name')
    .addOption(new Option('--signal <signal>', 'signal name').choices([...SESSION_SIGNALS]).default('KILL'))
    .action((ref: string, name: string, o: { signal: string }) =>
      withClient(async (client) => {
        await client.killSession(ref, name, o.signal);
      }),
    );

  registerSessionAttach(session);
}
