import { z } from 'zod';
import { DEFAULT_HELPER_PATH } from './root-helper-path.js';

/** Sizes like "16G", "512M", "1024K" or a plain byte count. */
const sizeString = z
  .string()
  .regex(/^[0-9]+[KMGT]?$/i, 'expected a size such as "8G", "512M" or a byte count');

const listenAddr = z.string().regex(/^[0-9.]+:[0-9]{1,5}$/, 'expected IPv4:port such as "127.0.0.1:42069"');

const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'expected an IPv4 address');

const fileSyncEntry = z.strictObject({
  host: z.string().min(1),
  guest: z.string().min(1),
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0600"')
    .optional(),
});

const vmDefaults = z.strictObject({
  vcpu: z.number().int().min(1).max(32).optional(),
  memory_mib: z
    .number()
    .int()
    .min(128)
    .max(1024 * 1024)
    .optional(),
  disk_size: sizeString.optional(),
});

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * Every key of ~/.config/banger/config.toml. All keys are optional; unknown
 * keys are an error (a typo must not be silently ignored).
 */
export const configSchema = z.strictObject({
  log_level: logLevel.optional(),
  firecracker_bin: z.string().min(1).optional(),
  default_image_name: z.string().min(1).optional(),
  ssh_key_path: z.string().min(1).optional(),
  bridge_name: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,15}$/, 'expected an interface name of at most 15 characters')
    .optional(),
  bridge_ip: ipv4.optional(),
  cidr: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'expected a CIDR such as "172.16.0.0/24"')
    .optional(),
  tap_pool_size: z.number().int().min(0).max(64).optional(),
  root_helper: z
    .string()
    .regex(/^\/[A-Za-z0-9/_.+-]*$/, 'expected an absolute path')
    .optional(),
  dns_listen_addr: listenAddr.optional(),
  web_listen_addr: listenAddr.optional(),
  system_overlay_size: sizeString.optional(),
  vm_defaults: vmDefaults.optional(),
  file_sync: z.array(fileSyncEntry).optional(),
  insecure_skip_kernel_signature: z.boolean().optional(),
  guest_isolation: z.boolean().optional(),
});

export type ConfigFile = z.infer<typeof configSchema>;
export type LogLevel = z.infer<typeof logLevel>;

/** The config with defaults applied: what the daemon actually uses. */
export interface Config {
  logLevel: LogLevel;
  firecrackerBin: string | undefined;
  defaultImageName: string;
  sshKeyPath: string | undefined;
  bridgeName: string;
  bridgeIp: string;
  cidr: string;
  tapPoolSize: number;
  /** The root helper the daemon runs through `sudo -n` when it is not root. */
  rootHelper: string;
  dnsListenAddr: string;
  webListenAddr: string | undefined;
  systemOverlaySize: string;
  vmDefaults: z.infer<typeof vmDefaults>;
  fileSync: z.infer<typeof fileSyncEntry>[];
  /** Pull catalog kernels without checking the signature of Debian's index (hosts without its keyring). */
  insecureSkipKernelSignature: boolean;
  /** Guests may reach the host only for DNS, and never each other (host/network/isolation.ts). */
  guestIsolation: boolean;
}

export const DEFAULT_DNS_LISTEN_ADDR = '127.0.0.1:42069';

export function applyDefaults(file: ConfigFile, env: Record<string, string | undefined> = {}): Config {
  const envLevel = logLevel.safeParse(env.BANGER_LOG_LEVEL);
  return {
    logLevel: envLevel.success ? envLevel.data : (file.log_level ?? 'info'),
    firecrackerBin: file.firecracker_bin,
    defaultImageName: file.default_image_name ?? 'debian-bookworm',
    sshKeyPath: file.ssh_key_path,
    bridgeName: file.bridge_name ?? 'banger0',
    bridgeIp: file.bridge_ip ?? '172.16.0.1',
    cidr: file.cidr ?? '172.16.0.0/24',
    tapPoolSize: file.tap_pool_size ?? 4,
    rootHelper: file.root_helper ?? DEFAULT_HELPER_PATH,
    dnsListenAddr: file.dns_listen_addr ?? DEFAULT_DNS_LISTEN_ADDR,
    webListenAddr: file.web_listen_addr,
    systemOverlaySize: file.system_overlay_size ?? '8G',
    vmDefaults: file.vm_defaults ?? {},
    fileSync: file.file_sync ?? [],
    insecureSkipKernelSignature: file.insecure_skip_kernel_signature ?? false,
    guestIsolation: file.guest_isolation ?? false,
  };
}
