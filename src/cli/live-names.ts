import type { Command } from 'commander';
import { connect } from '../client/autostart.js';

/** Resource names offered by shell completion. */
export interface LiveNames {
  vms: string[];
  images: string[];
  kernels: string[];
  catalogKernels: string[];
  catalogImages: string[];
  /** Sessions of the VM named in `vm session <verb> VM …`, when the line being completed has one. */
  sessions: string[];
}

/**
 * Names from a running daemon, for `banger complete -- …`. Never starts a
 * daemon and never fails: without one, completion just offers no names.
 */
export async function fetchLiveNames(words: readonly string[] = []): Promise<LiveNames | undefined> {
  // `vm session logs dev <TAB>`: the words so far name the VM whose sessions are offered.
  const sessionVm = words[0] === 'vm' && words[1] === 'session' && words.length >= 5 ? words[3] : undefined;
  try {
    const { client } = await connect({ autoStart: false });
    try {
      const [vms, images, kernels, catalog, catalogImages, sessions] = await Promise.all([
        client.listVms(),
        client.listImages(),
        client.listKernels(),
        client.availableKernels(),
        client.availableImages(),
        sessionVm ? client.listSessions(sessionVm).catch(() => ({ sessions: [] })) : { sessions: [] },
      ]);
      return {
        vms: vms.vms.map((v) => v.name),
        images: images.images.map((i) => i.name),
        catalogImages: catalogImages.images.map((i) => i.name),
        kernels: kernels.kernels.map((k) => k.name),
        catalogKernels: catalog.kernels.map((k) => k.name),
        sessions: sessions.sessions.map((x) => x.name),
      };
    } finally {
      await client.close();
    }
  } catch {
    return undefined;
  }
}

function find(program: Command, path: readonly string[]): Command | undefined {
  let cmd: Command | undefined = program;
  for (const name of path) cmd = cmd?.commands.find((c) => c.name() === name);
  return cmd;
}

/**
 * Offers `names` as the choices of the commands' name arguments (and of
 * `--kernel-ref`). Only applied while completing: the completion library
 * reads choices, and a real run must not be limited to them.
 */
export function applyLiveNames(program: Command, names: LiveNames): void {
  const argument = (path: readonly string[], choices: string[]) => {
    const arg = find(program, path)?.registeredArguments[0];
    if (arg && choices.length > 0) arg.choices(choices);
  };
  // Every vm verb whose first argument is a VM (show, ssh, stop, delete, set, ...).
  for (const cmd of find(program, ['vm'])?.commands ?? []) {
    if (cmd.registeredArguments[0]?.name() === 'vm') argument(['vm', cmd.name()], names.vms);
  }
  argument(['vm', 'workspace', 'prepare'], names.vms);
  for (const cmd of find(program, ['vm', 'session'])?.commands ?? []) {
    argument(['vm', 'session', cmd.name()], names.vms);
    const second = cmd.registeredArguments[1];
    if (second?.name() === 'name' && names.sessions.length > 0) second.choices(names.sessions);
  }
  for (const verb of ['show', 'delete', 'promote']) argument(['image', verb], names.images);
  argument(['image', 'pull'], names.catalogImages);
  for (const verb of ['show', 'delete']) argument(['kernel', verb], names.kernels);
  argument(['kernel', 'pull'], names.catalogKernels);
  const option = (path: readonly string[], long: string, choices: string[]) => {
    const opt = find(program, path)?.options.find((o) => o.long === long);
    if (opt && choices.length > 0) opt.choices(choices);
  };
  option(['image', 'register'], '--kernel-ref', names.kernels);
  for (const verb of ['create', 'run']) option(['vm', verb], '--image', names.images);
}
