import type { Command } from 'commander';
import { connect } from '../client/autostart.js';

/** Resource names offered by shell completion. */
export interface LiveNames {
  images: string[];
  kernels: string[];
  catalogKernels: string[];
}

/**
 * Names from a running daemon, for `banger complete -- …`. Never starts a
 * daemon and never fails: without one, completion just offers no names.
 */
export async function fetchLiveNames(): Promise<LiveNames | undefined> {
  try {
    const { client } = await connect({ autoStart: false });
    try {
      const [images, kernels, catalog] = await Promise.all([
        client.listImages(),
        client.listKernels(),
        client.availableKernels(),
      ]);
      return {
        images: images.images.map((i) => i.name),
        kernels: kernels.kernels.map((k) => k.name),
        catalogKernels: catalog.kernels.map((k) => k.name),
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
  for (const verb of ['show', 'delete', 'promote']) argument(['image', verb], names.images);
  for (const verb of ['show', 'delete']) argument(['kernel', verb], names.kernels);
  argument(['kernel', 'pull'], names.catalogKernels);
  const kernelRef = find(program, ['image', 'register'])?.options.find((o) => o.long === '--kernel-ref');
  if (kernelRef && names.kernels.length > 0) kernelRef.choices(names.kernels);
}
