import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessHandle } from './ports.js';
import { type GuestSigns, watchUnresponsive } from './unresponsive.js';
import type { VmServiceDeps } from './vm-service.js';

/** How long `vm stop` waits for the guest agent's answer to one ping. */
const PING_TIMEOUT_MS = 1000;
/** A stopping guest that showed no sign of life this long is signalled (unresponsive.ts). */
const UNRESPONSIVE = { silentMs: 5000, pollMs: 500 };

/**
 * Ends a VM's Firecracker the way `vm stop` promises: Ctrl+Alt+Del, the
 * guest's own reboot, and signals only after that fails (the driver's stop).
 * When the guest's agent answered earlier in this boot (`agentSeen`), a guest
 * that goes silent (halted: no agent, no console output) is signalled after
 * a few seconds rather than at the end of the whole timeout. Logs how it ended.
 */
export async function stopVmm(
  deps: Pick<VmServiceDeps, 'driver' | 'agent' | 'logger' | 'stopTimeoutMs'>,
  vm: { id: string; dir: string; handle: ProcessHandle; agentSeen: boolean },
): Promise<void> {
  const watch = vm.agentSeen ? watchUnresponsive(guestSigns(deps, vm.dir), UNRESPONSIVE) : undefined;
  try {
    const how = await deps.driver.stop(vm.handle, {
      timeoutMs: deps.stopTimeoutMs,
      ...(watch ? { giveUp: watch.signal } : {}),
    });
    const unresponsive = watch?.signal.aborted === true && how !== 'graceful';
    deps.logger.info({ vmId: vm.id, how, ...(unresponsive ? { unresponsive } : {}) }, 'vm stopped');
  } finally {
    watch?.stop();
  }
}

/** What tells that a stopping guest is still alive: its agent, and its console. */
function guestSigns(deps: Pick<VmServiceDeps, 'agent'>, dir: string): GuestSigns {
  const consolePath = join(dir, 'console.log');
  return {
    agentAnswers: () => deps.agent.ping(dir, PING_TIMEOUT_MS).then(() => true),
    consoleMark: () => {
      const st = statSync(consolePath, { throwIfNoEntry: false });
      return st ? `${st.size}:${st.mtimeMs}` : '';
    },
  };
}
