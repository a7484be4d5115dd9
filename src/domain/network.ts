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
const MIN_PREFIX = 8;
const MAX_PREFIX = 30;

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
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: without a slash the prefix check below refuses the text with the same message
  const addr = slash < 0 ? undefined : tryParseIpv4(text.slice(0, slash));
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: as above
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

/**
 * VM ids as the store makes them (`newVmId`): 16 lowercase hex digits. Only
 * such ids appear in tags, so a tag can never carry anything but
 * `banger:` and 16 hex digits.
 */
const TAGGABLE_ID_RE = /^[0-9a-f]{16}$/;

export function isTaggableId(id: string): boolean {
  return TAGGABLE_ID_RE.test(id);
}

function assertTaggable(id: string): void {
  if (!isTaggableId(id))
    throw new AppError('internal', `VM id "${id}" cannot be used in host resource names`);
}

/** Linux IFNAMSIZ is 16 including the NUL: interface names have at most 15 characters. */
export const IFNAME_MAX = 15;
/** No leading dot or dash, so never `.`, `..` or something ip reads as an option. */
const IFNAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

export function isValidIfname(name: string): boolean {
  return IFNAME_RE.test(name);
}

/** The largest uid a TAP owner may have (uids are 32-bit; 2^32-1 is "no uid"). */
const MAX_UID = 2 ** 32 - 2;

export function isValidUid(uid: number): boolean {
  return Number.isInteger(uid) && uid >= 0 && uid <= MAX_UID;
}

/**
 * The owner part of TAP names: "bg" + the uid in base 36 (at most 7
 * characters) + "-". Every TAP banger makes names its owner, so one user's
 * daemon (and the root helper acting for it) recognises exactly its own
 * TAPs and never another user's.
 */
export function tapOwnerPrefix(uid: number): string {
  if (!isValidUid(uid)) throw new AppError('internal', `uid ${uid} cannot own a TAP`);
  return `bg${uid.toString(36)}-`;
}

/**
 * The TAP of a VM: the owner prefix, then as many hex digits of sha256(vm
 * id) as fit in 15 characters (9 for uids below 46656, never fewer than 5).
 * A hash rather than a slice of the id because ids share time-ordered
 * prefixes. The TAP also carries the alias `banger:<vm id>`, so `ip link`
 * shows which VM owns it and reconcile can check the name against the id.
 */
export function tapNameForVm(vmId: string, uid: number): string {
  assertTaggable(vmId);
  const prefix = tapOwnerPrefix(uid);
  const digest = createHash('sha256').update(vmId).digest('hex');
  return `${prefix}${digest.slice(0, IFNAME_MAX - prefix.length)}`;
}

/** Pool indexes stay below this, so pool names fit in IFNAMSIZ for every uid. */
export const POOL_INDEX_LIMIT = 1000;

/** The idle pool TAP with index `n`: owner prefix + "p<n>", decimal, no leading zeros. */
export function poolTapName(index: number, uid: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= POOL_INDEX_LIMIT) {
    throw new AppError('internal', `pool TAP index ${index} out of range`);
  }
  return `${tapOwnerPrefix(uid)}p${index}`;
}

/** The index of a pool TAP name of `uid`, or undefined unless `name` is exactly one. */
export function parsePoolTapName(name: string, uid: number): number | undefined {
  const prefix = tapOwnerPrefix(uid);
  if (!name.startsWith(prefix)) return undefined;
  const m = /^p(0|[1-9]\d{0,2})$/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

/** True when `name` has the form of a VM TAP of `uid` (owner prefix + hex digits to 15 characters). */
export function isVmTapName(name: string, uid: number): boolean {
  const prefix = tapOwnerPrefix(uid);
  return (
    name.length === IFNAME_MAX && name.startsWith(prefix) && /^[0-9a-f]+$/.test(name.slice(prefix.length))
  );
}

/** True for the TAP names `uid` may own: its VM TAPs and its pool TAPs. */
export function isOwnTapName(name: string, uid: number): boolean {
  return isVmTapName(name, uid) || parsePoolTapName(name, uid) !== undefined;
}

/** True when `name` has the form of any user's banger TAP (a bridge must never be named like one). */
export function looksLikeBangerTap(name: string): boolean {
  // Stryker disable next-line Regex: isOwnTapName checks the whole owner prefix from the start again
  const m = /^bg([0-9a-z]{1,7})-/.exec(name);
  if (!m) return false;
  // Stryker disable next-line StringLiteral: the group always matched
  const uid = Number.parseInt(m[1] ?? '', 36);
  // isOwnTapName wants the canonical prefix, so "bg01-" (uid 1 spelled otherwise) is refused there.
  return isValidUid(uid) && isOwnTapName(name, uid);
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
