import { z } from 'zod';
import { isDuration, parseDuration } from './duration.js';
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

const duration = z.string().refine(isDuration, 'expected a duration such as "30s", "10m" or "1h30m"');

/** A polling interval: at least 100ms, at most an hour. */
const interval = duration.refine((text) => {
  const ms = parseDuration(text);
  return ms >= 100 && ms <= 3_600_000;
}, 'expected an interval between "100ms" and "1h"');

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** True for an address in 127.0.0.0/8, where only this machine can connect. */
function isLoopbackListenAddr(addr: string): boolean {
  return addr.startsWith('127.');
}

/**
 * The web UI drives VMs for whoever holds its cookie, over plain HTTP: it
 * listens on loopback unless the user accepts the risk with
 * `web_allow_remote`. Even then it needs the one address browsers will use,
 * because requests whose Host header names anything else are refused (DNS
 * rebinding), so a wildcard address could never be used.
 */
function checkWebListenAddr(
  file: { web_listen_addr?: string | undefined; web_allow_remote?: boolean | undefined },
  ctx: z.RefinementCtx,
): void {
  const addr = file.web_listen_addr;
  if (addr === undefined || isLoopbackListenAddr(addr)) return;
  const host = addr.slice(0, addr.lastIndexOf(':'));
  if (file.web_allow_remote !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['web_listen_addr'],
      message: `${host} is not a loopback address, and anyone who reaches it with the cookie controls your VMs over plain HTTP; use "127.0.0.1:PORT", or set web_allow_remote = true to accept that (docs/web-ui.md)`,
    });
  } else if (host === '0.0.0.0') {
    ctx.addIssue({
      code: 'custom',
      path: ['web_listen_addr'],
      message:
        'with web_allow_remote the web UI needs the one address browsers use (it refuses other Host headers), not 0.0.0.0; set that interface address',
    });
  }
}

/**
 * Every key of ~/.config/banger/config.toml. All keys are optional; unknown
 * keys are an error (a typo must not be silently ignored).
 */
export const configSchema = z
  .strictObject({
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
    warm_pool_size: z.number().int().min(0).max(16).optional(),
    root_helper: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.+-]*$/, 'expected an absolute path')
      .optional(),
    dns_listen_addr: listenAddr.optional(),
    web_listen_addr: listenAddr.optional(),
    web_allow_remote: z.boolean().optional(),
    system_overlay_size: sizeString.optional(),
    vm_defaults: vmDefaults.optional(),
    file_sync: z.array(fileSyncEntry).optional(),
    insecure_skip_kernel_signature: z.boolean().optional(),
    guest_isolation: z.boolean().optional(),
    auto_stop_stale_after: duration.optional(),
    stats_poll_interval: interval.optional(),
    metrics_poll_interval: duration.optional(),
  })
  .superRefine(checkWebListenAddr);

/**
 * Keys of the original tool that banger deliberately does not have, with
 * what to do instead: a config carried over gets a hint, not a bare
 * "unknown key".
 */
export const DROPPED_KEYS: Readonly<Record<string, string>> = {
  default_dns:
    "guests get banger's DNS server for .vm names and the host's own resolvers for the rest; remove the key",
  runtime_dir:
    'banger has no runtime bundle; it finds host tools on PATH (set firecracker_bin for Firecracker)',
  namegen_path: 'VM names are generated in-process; remove the key',
  customize_script: 'customise an image with `banger image build` or pull one with `banger image pull`',
  vsock_ping_helper_path: 'banger has no vsock helper to configure; remove the key',
  default_rootfs: 'register the image with `banger image register` and set default_image_name',
  default_base_rootfs: 'register the image with `banger image register` and set default_image_name',
  default_work_seed: 'work seeds are built with each image; remove the key',
  default_kernel: 'kernels belong to images: `banger kernel pull` and `banger image register --kernel-ref`',
  default_initrd: 'kernels belong to images: `banger kernel pull` and `banger image register --kernel-ref`',
  default_modules_dir:
    'kernels belong to images: `banger kernel pull` and `banger image register --kernel-ref`',
  default_packages_file:
    "the golden image's package list is part of its recipe (`banger image pull debian-bookworm`)",
};

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
  /** VMs of the default image and sizing kept ready for creates (restored from a snapshot); 0: none. */
  warmPoolSize: number;
  /** The root helper the daemon runs through `sudo -n` when it is not root. */
  rootHelper: string;
  dnsListenAddr: string;
  /** Where the web UI listens (loopback unless webAllowRemote); undefined: the web UI is off. */
  webListenAddr: string | undefined;
  /** The user accepted a non-loopback webListenAddr (checked when the config is parsed). */
  webAllowRemote: boolean;
  systemOverlaySize: string;
  vmDefaults: z.infer<typeof vmDefaults>;
  fileSync: z.infer<typeof fileSyncEntry>[];
  /** Pull catalog kernels without checking the signature of Debian's index (hosts without its keyring). */
  insecureSkipKernelSignature: boolean;
  /** Guests may reach the host only for DNS, and never each other (host/network/isolation.ts). */
  guestIsolation: boolean;
  /** Stop a running VM after this long without activity (activity.ts); undefined: never. */
  autoStopStaleAfterMs: number | undefined;
  /** How often the daemon samples each running VM's CPU, memory and connections. */
  statsPollIntervalMs: number;
  /** The least time between two requests for fresh Firecracker metrics; 0 asks on every `vm stats`. */
  metricsPollIntervalMs: number;
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
    warmPoolSize: file.warm_pool_size ?? 0,
    rootHelper: file.root_helper ?? DEFAULT_HELPER_PATH,
    dnsListenAddr: file.dns_listen_addr ?? DEFAULT_DNS_LISTEN_ADDR,
    webListenAddr: file.web_listen_addr,
    webAllowRemote: file.web_allow_remote ?? false,
    systemOverlaySize: file.system_overlay_size ?? '8G',
    vmDefaults: file.vm_defaults ?? {},
    fileSync: file.file_sync ?? [],
    insecureSkipKernelSignature: file.insecure_skip_kernel_signature ?? false,
    guestIsolation: file.guest_isolation ?? false,
    // "0s" is the same as leaving the key out: never.
    autoStopStaleAfterMs: parseDuration(file.auto_stop_stale_after ?? '0s') || undefined,
    statsPollIntervalMs: parseDuration(file.stats_poll_interval ?? '5s'),
    metricsPollIntervalMs: parseDuration(file.metrics_poll_interval ?? '15s'),
  };
}
