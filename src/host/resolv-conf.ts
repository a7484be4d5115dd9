import { readFileSync } from 'node:fs';

/**
 * The host's name servers that a guest can use too: those in
 * /etc/resolv.conf that are not loopback (a guest cannot reach the host's
 * 127.0.0.53 stub). Guests list banger's DNS first, then these, so names
 * outside `.vm` (REFUSED by banger) fall through to them.
 */
export function guestReachableNameservers(text = readResolvConf()): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+([0-9.]+)\s*$/.exec(line);
    if (m?.[1] && !m[1].startsWith('127.') && !servers.includes(m[1])) servers.push(m[1]);
  }
  return servers.slice(0, 2);
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
