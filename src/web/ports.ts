import type { GuestPortView } from './api.js';

/** How the page shows where a port is reached from the host. */
export type PortReach =
  | { kind: 'link'; href: string; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'loopback' };

/**
 * A TCP port bound beyond loopback is a link to `http://<vm>.vm:<port>` when
 * `.vm` names resolve on this host (`routed`); without DNS routing, or for
 * UDP, the address is shown as text; a loopback-only port cannot be reached.
 */
export function portReach(port: GuestPortView, routed: boolean): PortReach {
  if (!port.reachable) return { kind: 'loopback' };
  if (routed && port.proto === 'tcp') return { kind: 'link', href: `http://${port.url}/`, text: port.url };
  return { kind: 'text', text: port.url };
}

/** The processes holding a socket, `name (pid)`, or a dash; control characters made visible. */
export function portProcesses(port: GuestPortView): string {
  if (port.processes.length === 0) return '–';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the guest's raw text may carry them
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return port.processes.map((p) => `${clean(p.name)} (${p.pid})`).join(', ');
}
