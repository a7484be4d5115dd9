import { type Runner, SpawnRunner } from '../host/runner.js';

/** The runner a front end uses on the user's machine: real processes, no privileges. */
export function localRunner(): Runner {
  return new SpawnRunner();
}
