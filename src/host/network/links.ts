import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { CommandError, type Runner } from '../runner.js';

/**
 * Read-only views of network interfaces from `ip -j` (JSON). Reading needs
 * no privilege, so these go through the plain Runner, not PrivilegedRunner.
 */

export interface LinkInfo {
  name: string;
  /** `linkinfo.info_kind`: "bridge", "tun", "veth"...; undefined for plain devices. */
  kind: string | undefined;
  /** For TUN/TAP devices: "tap" or "tun". */
  tunType: string | undefined;
  /**
   * For TUN/TAP devices: the owner, when one is set. `ip -j` prints the user
   * NAME when the uid resolves to one (no option makes it numeric), else the uid.
   */
  tunOwner: number | string | undefined;
  master: string | undefined;
  alias: string | undefined;
  /** Administratively up (the UP flag), regardless of carrier. */
  up: boolean;
  mac: string | undefined;
}

const linkJson = z.object({
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  master: z.string().optional(),
  ifalias: z.string().optional(),
  address: z.string().optional(),
  linkinfo: z
    .object({
      info_kind: z.string().optional(),
      info_data: z
        .object({ type: z.string().optional(), user: z.union([z.number(), z.string()]).optional() })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});

const addrJson = z.object({
  addr_info: z
    .array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() }).loose())
    .default([]),
});

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text === '' ? '[]' : text);
  } catch (err) {
    throw new AppError('operation_failed', `could not parse the output of ${what} as JSON`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('operation_failed', `unexpected output from ${what}: ${parsed.error.message}`);
  }
  return parsed.data;
}

function toLinkInfo(j: z.infer<typeof linkJson>): LinkInfo {
  const kind = j.linkinfo?.info_kind;
  return {
    name: j.ifname,
    kind,
    tunType: kind === 'tun' ? j.linkinfo?.info_data?.type : undefined,
    tunOwner: kind === 'tun' ? j.linkinfo?.info_data?.user : undefined,
    master: j.master,
    alias: j.ifalias,
    up: j.flags.includes('UP'),
    mac: j.address,
  };
}

/** Every interface in the daemon's network namespace. */
export async function listLinks(runner: Runner, ipPath: string): Promise<LinkInfo[]> {
  const argv = [ipPath, '-d', '-j', 'link', 'show'];
  const { stdout } = await runner.run(argv);
  return parseJson(z.array(linkJson), stdout, argv.join(' ')).map(toLinkInfo);
}

/** One interface, or undefined when it does not exist. */
export async function getLink(runner: Runner, ipPath: string, name: string): Promise<LinkInfo | undefined> {
  const argv = [ipPath, '-d', '-j', 'link', 'show', 'dev', name];
  const result = await runner.run(argv, { check: false });
  if (result.exitCode !== 0) {
    if (/does not exist|Cannot find device/.test(result.stderr)) return undefined;
    throw new CommandError(argv, result.exitCode, result.stderr);
  }
  const [link] = parseJson(z.array(linkJson), result.stdout, argv.join(' '));
  return link ? toLinkInfo(link) : undefined;
}

/** The IPv4 addresses of an interface as "a.b.c.d/p". */
export async function listIpv4Addresses(runner: Runner, ipPath: string, name: string): Promise<string[]> {
  const argv = [ipPath, '-j', '-4', 'addr', 'show', 'dev', name];
  const { stdout } = await runner.run(argv);
  return parseJson(z.array(addrJson), stdout, argv.join(' ')).flatMap((entry) =>
    entry.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  );
}
