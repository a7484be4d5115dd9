import { AppError } from '../../domain/errors.js';
import {
  isValidIfname,
  isValidUid,
  looksLikeBangerTap,
  type NetworkPlan,
  planNetwork,
} from '../../domain/network.js';
import { parseListenAddress } from '../dns/listen-address.js';

/**
 * What one user may do to the host network as root: everything banger's
 * privileged commands name is pinned to these values (allow-list.ts). `banger
 * system setup`, run by root, writes a user's grant where only root can
 * write (root-helper/), and the root helper enforces it; the daemon derives
 * the same grant from its config to fail early with a clear message.
 */
export interface NetworkGrant {
  /** The user whose daemon acts; TAPs carry this owner in their names and as their tun owner. */
  readonly uid: number;
  readonly bridgeName: string;
  /** The bridge's (gateway's) address. */
  readonly bridgeIp: string;
  /** The guests' subnet, "a.b.c.d/p". */
  readonly cidr: string;
  /** bangerd's DNS port on the bridge address; 0 when the daemon has none (no redirect, no resolved routing). */
  readonly dnsPort: number;
}

/** A grant plus what follows from it, computed once. */
export interface ResolvedGrant extends NetworkGrant {
  readonly plan: NetworkPlan;
}

/**
 * Checks a grant's fields and their consistency. Throws AppError
 * ('invalid_config') naming the field: a grant banger cannot enforce exactly
 * is never used.
 */
export function resolveGrant(grant: NetworkGrant): ResolvedGrant {
  if (!isValidUid(grant.uid)) throw new AppError('invalid_config', `grant: uid ${grant.uid} is not a uid`);
  if (!isValidIfname(grant.bridgeName) || looksLikeBangerTap(grant.bridgeName)) {
    throw new AppError(
      'invalid_config',
      `config key bridge_name: "${grant.bridgeName}" is not usable as banger's bridge name; use letters, digits and '-' (at most 15), not a TAP-like "bg<x>-" name`,
    );
  }
  const plan = planNetwork(grant.cidr, grant.bridgeIp);
  if (!Number.isInteger(grant.dnsPort) || grant.dnsPort < 0 || grant.dnsPort > 65535) {
    throw new AppError('invalid_config', `grant: DNS port ${grant.dnsPort} is not a port`);
  }
  return { ...grant, plan };
}

/** The grant the daemon's config asks for, for `uid`. */
export function grantFromConfig(
  config: { bridgeName: string; bridgeIp: string; cidr: string; dnsListenAddr: string },
  uid: number,
): NetworkGrant {
  return {
    uid,
    bridgeName: config.bridgeName,
    bridgeIp: config.bridgeIp,
    cidr: config.cidr,
    dnsPort: parseListenAddress(config.dnsListenAddr).port,
  };
}

/** Parses a grant file's JSON; every field is checked by `resolveGrant`. */
export function parseGrant(text: string, file: string): ResolvedGrant {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('invalid_config', `${file} is not valid JSON; rerun sudo banger system setup`);
  }
  const r = raw as Record<string, unknown>;
  const { uid, bridgeName, bridgeIp, cidr, dnsPort } = r ?? {};
  if (
    typeof uid !== 'number' ||
    typeof bridgeName !== 'string' ||
    typeof bridgeIp !== 'string' ||
    typeof cidr !== 'string' ||
    typeof dnsPort !== 'number'
  ) {
    throw new AppError('invalid_config', `${file} is not a banger grant; rerun sudo banger system setup`);
  }
  return resolveGrant({ uid, bridgeName, bridgeIp, cidr, dnsPort });
}

/** The JSON a grant file holds (stable key order, so unchanged grants compare equal). */
export function formatGrant(grant: NetworkGrant): string {
  const { uid, bridgeName, bridgeIp, cidr, dnsPort } = grant;
  return `${JSON.stringify({ uid, bridgeName, bridgeIp, cidr, dnsPort }, null, 2)}\n`;
}

/** True when two grants name the same resources. */
export function sameGrant(a: NetworkGrant, b: NetworkGrant): boolean {
  return formatGrant(a) === formatGrant(b);
}
