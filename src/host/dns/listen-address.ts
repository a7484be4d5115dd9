import { isIP, isIPv6 } from 'node:net';
import { AppError } from '../../domain/errors.js';

/** One UDP address the DNS server listens on. Port 0 asks the kernel for a free port (tests). */
export interface ListenAddress {
  host: string;
  port: number;
}

const DEFAULT_DNS_PORT = 42069;
export const DEFAULT_DNS_LISTEN: ListenAddress = Object.freeze({ host: '127.0.0.1', port: DEFAULT_DNS_PORT });

/**
 * Parses `IP:PORT`, `[IPv6]:PORT` or a bare IP (which gets the default port),
 * the forms used in config and in `resolvectl dns`. Hostnames are rejected:
 * the server binds before anything could resolve them.
 */
export function parseListenAddress(text: string): ListenAddress {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if (isIPv6(trimmed)) {
    host = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    host = colon === -1 ? trimmed : trimmed.slice(0, colon);
    portText = colon === -1 ? undefined : trimmed.slice(colon + 1);
  }
  if (isIP(host) === 0) {
    throw new AppError('invalid_config', `DNS listen address "${text}": "${host}" is not an IP address`);
  }
  if (bracketed && !isIPv6(host)) {
    throw new AppError('invalid_config', `DNS listen address "${text}": only IPv6 addresses go in brackets`);
  }
  const port = portText === undefined ? DEFAULT_DNS_PORT : Number(portText);
  if (!/^\d+$/.test(portText ?? '0') || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('invalid_config', `DNS listen address "${text}": port must be 0-65535`);
  }
  return { host, port };
}

/** `127.0.0.1:42069` or `[::1]:42069`, the form `resolvectl dns` and logs use. */
export function formatListenAddress(address: ListenAddress): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
