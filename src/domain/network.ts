import { createHash } from 'node:crypto';
import { AppError } from './errors.js';

/**
 * Pure networking rules: IPv4/CIDR arithmetic, guest address allocation, and
 * the names banger gives to host resources. Every host resource name is
 * derived from a stored id or index so that cleanup after a crash can
 * recompute it instead of guessing from a pattern.
 */

/** An IPv4 subnet with host bits clear; addresses are unsigned 32-bit numbers. */
export interface Subnet {
  /** The canonical "a.b.c.d/p" text. */
  readonly cidr: string;
  readonly network: number;
  readonly prefix: number;
  readonly broadcast: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The smallest and largest prefix a guest subnet may have (a /30 holds the gateway and one guest). */
export const MIN_PREFIX = 8;
export const MAX_PREFIX = 30;

/** Parses dotted-quad IPv4 text (no leading zeros, each octet 0-255); undefined when malformed. */
export function tryParseIpv4(text: string): number | undefined {
  const m = IPV4_RE.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function parseIpv4(text: string): number {
  const value = tryParseIpv4(text);
  if (value === undefined) {
    throw new AppError(
      'invalid_argument',
      `"${text}" is not an IPv4 address; use dotted form such as 172.16.0.1`,
    );
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * Parses "a.b.c.d/p". Host bits must be clear and the prefix within
 * MIN_PREFIX..MAX_PREFIX, so the subnet has room for a gateway and a guest.
 */
export function parseCidr(text: string): Subnet {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? undefined : tryParseIpv4(text.slice(0, slash));
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  if (addr === undefined || !/^\d{1,2}$/.test(prefixText)) {
    throw new AppError('invalid_argument', `"${text}" is not an IPv4 CIDR; use the form 172.16.0.0/24`);
  }
  const prefix = Number(prefixText);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
    throw new AppError(
      'invalid_argument',
      `CIDR ${text} has prefix /${prefix}; use a prefix between /${MIN_PREFIX} and /${MAX_PREFIX}`,
    );
  }
  const size = 2 ** (32 - prefix);
  const network = addr - (addr % size);
  if (network !== addr) {
    throw new AppError(
      'invalid_argument',
      `CIDR ${text} has host bits set; did you mean ${formatIpv4(network)}/${prefix}?`,
    );
  }
  return { cidr: `${formatIpv4(network)}/${prefix}`, network, prefix, broadcast: network + size - 1 };
}

export function subnetContains(subnet: Subnet, address: number): boolean {
  return address >= subnet.network && address <= subnet.broadcast;
}

/** True when the address may be used by a host or guest: not the network or broadcast address. */
export function isUsableHost(subnet: Subnet, address: number): boolean {
  return address > subnet.network && address < subnet.broadcast;
}

/**
 * The bridge (gateway) address and guest subnet from config, checked
 * together: the gateway must be a usable host address inside the subnet.
 * Errors name the config keys so the user knows what to edit.
 */
export interface NetworkPlan {
  readonly subnet: Subnet;
  readonly gateway: string;
}

export function planNetwork(cidr: string, gateway: string): NetworkPlan {
  let subnet: Subnet;
  try {
    subnet = parseCidr(cidr);
  } catch (err) {
    throw new AppError('invalid_config', `config key cidr: ${(err as Error).message}`);
  }
  const gw = tryParseIpv4(gateway);
  if (gw === undefined) {
    throw new AppError('invalid_config', `config key bridge_ip: "${gateway}" is not an IPv4 address`);
  }
  if (!isUsableHost(subnet, gw)) {
    throw new AppError(
      'invalid_config',
      `config key bridge_ip: ${gateway} is not a usable host address in ${subnet.cidr}; pick one such as ${formatIpv4(subnet.network + 1)}`,
    );
  }
  return { subnet, gateway: formatIpv4(gw) };
}

/** Every address a guest may get: the usable hosts of the subnet minus the gateway. */
export function guestAddressCount(plan: NetworkPlan): number {
  return plan.subnet.broadcast - plan.subnet.network - 2;
}

/**
 * The lowest address in `cidr` that is neither the network, broadcast,
 * gateway nor in `used`. Pure: the caller makes it durable (the store runs
 * it inside one BEGIN IMMEDIATE transaction with `used` read in that
 * transaction, so concurrent creates cannot get the same address).
 *
 * Throws AppError('conflict', "no free address in <cidr>") when exhausted.
 */
export function nextFreeAddress(cidr: string, gateway: string, used: ReadonlySet<string>): string {
  const { subnet, gateway: gw } = planNetwork(cidr, gateway);
  for (let a = subnet.network + 1; a < subnet.broadcast; a++) {
    const text = formatIpv4(a);
    if (text !== gw && !used.has(text)) return text;
  }
  throw new AppError('conflict', `no free address in ${cidr}`);
}

/**
 * The guest's MAC, derived from its IPv4 address: 06:00 followed by the four
 * octets in hex (172.16.0.5 -> 06:00:ac:10:00:05), the scheme Firecracker's
 * own examples use. 0x06 has the locally-administered bit set and the
 * multicast bit clear, so it never collides with a vendor-assigned MAC, and
 * unique IPs on the bridge give unique MACs. The bridge itself gets the MAC
 * of its gateway IP, which no guest can hold.
 */
export function macForIp(ip: string): string {
  const value = parseIpv4(ip);
  const octets = [6, 0, value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

// ---- host resource names -------------------------------------------------

/** Characters allowed in a VM id used for tags; ids outside this are a bug upstream. */
const TAGGABLE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isTaggableId(id: string): boolean {
  return TAGGABLE_ID_RE.test(id);
}

function assertTaggable(id: string): void {
  if (!isTaggableId(id))
    throw new AppError('internal', `VM id "${id}" cannot be used in host resource names`);
}

/** Linux IFNAMSIZ is 16 including the NUL: interface names have at most 15 characters. */
export const IFNAME_MAX = 15;
const IFNAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

export function isValidIfname(name: string): boolean {
  return IFNAME_RE.test(name) && name !== '.' && name !== '..';
}

export const VM_TAP_PREFIX = 'bgr-';

/**
 * The TAP of a VM: "bgr-" + the first 11 hex digits of sha256(vm id), 15
 * characters. A hash rather than a slice of the id because ids may share a
 * time-ordered prefix and may contain characters interface names forbid; 44
 * bits make a collision between two VMs of one user negligible. The TAP also
 * carries the alias `banger:<vm id>`, so `ip link` shows which VM owns it and
 * reconcile can check the name against the id it claims.
 */
export function tapNameForVm(vmId: string): string {
  assertTaggable(vmId);
  const digest = createHash('sha256').update(vmId).digest('hex');
  return `${VM_TAP_PREFIX}${digest.slice(0, IFNAME_MAX - VM_TAP_PREFIX.length)}`;
}

export const POOL_TAP_PREFIX = 'bgrpool-';
/** Pool indexes stay below this, so pool names fit in IFNAMSIZ with room to spare. */
export const POOL_INDEX_LIMIT = 10_000;

/** The idle pool TAP with index `n`: "bgrpool-<n>", decimal, no leading zeros. */
export function poolTapName(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= POOL_INDEX_LIMIT) {
    throw new AppError('internal', `pool TAP index ${index} out of range`);
  }
  return `${POOL_TAP_PREFIX}${index}`;
}

/** The index of a pool TAP name, or undefined when `name` is not exactly one of banger's pool names. */
export function parsePoolTapName(name: string): number | undefined {
  const m = /^bgrpool-(0|[1-9]\d{0,3})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The iptables comment (and TAP alias) that marks a resource as belonging to one VM. */
export function vmTag(vmId: string): string {
  assertTaggable(vmId);
  return `banger:${vmId}`;
}

/**
 * The VM id of a tag, or undefined unless `tag` is exactly "banger:<id>"
 * with an id the caller's `isVmId` accepts. Exact, never a prefix match:
 * "banger:abc-extra" is not a tag of VM "abc".
 */
export function vmIdFromTag(tag: string, isVmId: (id: string) => boolean): string | undefined {
  if (!tag.startsWith('banger:')) return undefined;
  const id = tag.slice('banger:'.length);
  return isTaggableId(id) && isVmId(id) ? id : undefined;
}

/** Aliases of banger's other interfaces; hyphenated so they never read as a VM tag. */
export const POOL_TAP_ALIAS = 'banger-pool';
export const BRIDGE_ALIAS = 'banger-bridge';

/** How a guest's eth0 is configured (kernel command line `banger.ip=`, `banger.gw=`) and its MAC. */
export interface GuestNetwork {
  /** "a.b.c.d/p" */
  address: string;
  gateway: string;
  mac: string;
}

/** The guest's interface settings; the address must be a usable host of the subnet other than the gateway. */
export function guestNetwork(cidr: string, gateway: string, guestIp: string): GuestNetwork {
  const plan = planNetwork(cidr, gateway);
  const ip = tryParseIpv4(guestIp);
  if (ip === undefined || !isUsableHost(plan.subnet, ip) || formatIpv4(ip) === plan.gateway) {
    throw new AppError(
      'invalid_argument',
      `guest address ${guestIp} is not a free host address of ${plan.subnet.cidr}`,
    );
  }
  return {
    address: `${formatIpv4(ip)}/${plan.subnet.prefix}`,
    gateway: plan.gateway,
    mac: macForIp(guestIp),
  };
}
