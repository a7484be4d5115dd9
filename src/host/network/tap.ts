import { CommandError } from '../runner.js';
import type { PrivilegedRunner } from './privileged.js';

/** A TAP to create: owned by `uid` so Firecracker (running as that user) can open it without root. */
export interface TapSpec {
  name: string;
  uid: number;
  bridge: string;
  /** The interface alias: `banger:<vm id>` for a VM's TAP, `banger-pool` for an idle one. */
  alias: string;
  /** Bring it up now (a VM's TAP) or leave it down (an idle pool TAP, so it can be renamed). */
  up: boolean;
}

/**
 * Creates a persistent TAP attached to the bridge. On failure nothing is
 * left behind: a half-made TAP is deleted before the error is rethrown.
 */
export async function createTap(priv: PrivilegedRunner, spec: TapSpec): Promise<void> {
  await priv.run('ip', ['tuntap', 'add', 'dev', spec.name, 'mode', 'tap', 'user', String(spec.uid)]);
  try {
    const attach = ['link', 'set', 'dev', spec.name, 'master', spec.bridge, 'alias', spec.alias];
    await priv.run('ip', spec.up ? [...attach, 'up'] : attach);
  } catch (err) {
    await deleteTap(priv, spec.name).catch(() => false);
    throw err;
  }
}

/**
 * Turns an idle (down) TAP into another one: new name, new alias, up.
 * Renaming requires the device to be down, which idle pool TAPs are.
 */
export async function renameTap(
  priv: PrivilegedRunner,
  from: string,
  to: string,
  alias: string,
): Promise<void> {
  await priv.run('ip', ['link', 'set', 'dev', from, 'name', to, 'alias', alias, 'up']);
}

/** Deletes a TAP. Idempotent: resolves false when it did not exist. */
export async function deleteTap(priv: PrivilegedRunner, name: string): Promise<boolean> {
  const result = await priv.run('ip', ['link', 'del', 'dev', name], { check: false });
  if (result.exitCode === 0) return true;
  if (/Cannot find device/.test(result.stderr)) return false;
  throw new CommandError(result.argv, result.exitCode, result.stderr);
}
