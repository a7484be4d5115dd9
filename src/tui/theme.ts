import type { VmStateView } from '../api/vms.js';

/**
 * Colours, or none when NO_COLOR is set to anything non-empty (no-color.org).
 * Inverse and bold stay: they are emphasis, not colour, and the selection
 * must remain visible.
 */
export function colour(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NO_COLOR ? undefined : name;
}

export function stateColour(state: VmStateView, env: NodeJS.ProcessEnv = process.env): string | undefined {
  switch (state) {
    case 'running':
      return colour('green', env);
    case 'stopped':
      return colour('gray', env);
    default:
      return colour('yellow', env);
  }
}
