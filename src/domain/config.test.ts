import { describe, expect, it } from 'vitest';
import { applyDefaults, type ConfigFile, configSchema, DEFAULT_DNS_LISTEN_ADDR } from './config.js';
import { DEFAULT_HELPER_PATH } from './root-helper-path.js';

const parses = (file: unknown) => configSchema.safeParse(file).success;

describe('config defaults', () => {
  it('fills every key when the file is empty', () => {
    expect(applyDefaults({})).toEqual({
      logLevel: 'info',
      firecrackerBin: undefined,
      defaultImageName: 'debian-bookworm',
      sshKeyPath: undefined,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 4,
      warmPoolSize: 0,
      rootHelper: DEFAULT_HELPER_PATH,
      dnsListenAddr: DEFAULT_DNS_LISTEN_ADDR,
      webListenAddr: undefined,
      webAllowRemote: false,
      systemOverlaySize: '8G',
      vmDefaults: {},
      fileSync: [],
      insecureSkipKernelSignature: false,
      guestIsolation: false,
      autoStopStaleAfterMs: undefined,
      statsPollIntervalMs: 5000,
      metricsPollIntervalMs: 15_000,
    });
    expect(DEFAULT_DNS_LISTEN_ADDR).toBe('127.0.0.1:42069');
  });

  it('keeps falsy values the user set: a pool of 0, false, empty lists', () => {
    const file: ConfigFile = {
      tap_pool_size: 0,
      insecure_skip_kernel_signature: false,
      guest_isolation: false,
      file_sync: [],
    };
    const config = applyDefaults(file);
    expect(config.tapPoolSize).toBe(0);
    expect(config.guestIsolation).toBe(false);
    expect(config.fileSync).toEqual([]);
  });

  it('uses every key the file sets', () => {
    const file: ConfigFile = {
      log_level: 'warn',
      firecracker_bin: '/opt/fc',
      default_image_name: 'mine',
      ssh_key_path: '/k',
      bridge_name: 'br9',
      bridge_ip: '10.0.0.1',
      cidr: '10.0.0.0/24',
      tap_pool_size: 9,
      warm_pool_size: 2,
      root_helper: '/opt/h',
      dns_listen_addr: '127.0.0.1:53',
      web_listen_addr: '127.0.0.1:8080',
      web_allow_remote: true,
      system_overlay_size: '2G',
      vm_defaults: { vcpu: 2 },
      file_sync: [{ host: 'a', guest: 'b' }],
      insecure_skip_kernel_signature: true,
      guest_isolation: true,
      auto_stop_stale_after: '30m',
      stats_poll_interval: '2s',
      metrics_poll_interval: '1m',
    };
    expect(applyDefaults(file)).toEqual({
      logLevel: 'warn',
      firecrackerBin: '/opt/fc',
      defaultImageName: 'mine',
      sshKeyPath: '/k',
      bridgeName: 'br9',
      bridgeIp: '10.0.0.1',
      cidr: '10.0.0.0/24',
      tapPoolSize: 9,
      warmPoolSize: 2,
      rootHelper: '/opt/h',
      dnsListenAddr: '127.0.0.1:53',
      webListenAddr: '127.0.0.1:8080',
      webAllowRemote: true,
      systemOverlaySize: '2G',
      vmDefaults: { vcpu: 2 },
      fileSync: [{ host: 'a', guest: 'b' }],
      insecureSkipKernelSignature: true,
      guestIsolation: true,
      autoStopStaleAfterMs: 1_800_000,
      statsPollIntervalMs: 2000,
      metricsPollIntervalMs: 60_000,
    });
  });

  it('lets a valid BANGER_LOG_LEVEL win over the file, and ignores an invalid one', () => {
    expect(applyDefaults({ log_level: 'warn' }, { BANGER_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(applyDefaults({ log_level: 'warn' }, { BANGER_LOG_LEVEL: 'loud' }).logLevel).toBe('warn');
    expect(applyDefaults({}, { BANGER_LOG_LEVEL: '' }).logLevel).toBe('info');
  });
});

describe('config schema', () => {
  it('bounds the TAP pool to 0..64 whole TAPs', () => {
    expect(parses({ tap_pool_size: 0 })).toBe(true);
    expect(parses({ tap_pool_size: 64 })).toBe(true);
    expect(parses({ tap_pool_size: 65 })).toBe(false);
    expect(parses({ tap_pool_size: -1 })).toBe(false);
    expect(parses({ tap_pool_size: 1.5 })).toBe(false);
    expect(parses({ warm_pool_size: 0 })).toBe(true);
    expect(parses({ warm_pool_size: 16 })).toBe(true);
    expect(parses({ warm_pool_size: 17 })).toBe(false);
    expect(parses({ warm_pool_size: -1 })).toBe(false);
  });

  it('takes bridge names of 1 to 15 characters (IFNAMSIZ), no more', () => {
    expect(parses({ bridge_name: 'b'.repeat(15) })).toBe(true);
    expect(parses({ bridge_name: 'b'.repeat(16) })).toBe(false);
    expect(parses({ bridge_name: '' })).toBe(false);
    expect(parses({ bridge_name: 'br 0' })).toBe(false);
    expect(parses({ bridge_name: 'x-br0' })).toBe(true);
  });

  it('checks the shape of addresses, sizes, modes and paths, anchored at both ends', () => {
    for (const [key, good, bads] of [
      ['bridge_ip', '10.0.0.1', ['10.0.0', 'x10.0.0.1', '10.0.0.1x', '10.0.0.1/24']],
      ['cidr', '10.0.0.0/8', ['10.0.0.0', '10.0.0.0/123', 'x10.0.0.0/8', '10.0.0.0/8x']],
      ['dns_listen_addr', '127.0.0.1:53', ['127.0.0.1', '127.0.0.1:123456', 'x:53', ':53', '127.0.0.1:53x']],
      ['system_overlay_size', '8G', ['8X', 'G', '8G ', ' 8G', '1.5G']],
      ['root_helper', '/usr/local/libexec/banger-root', ['relative', '/a b', '/a,b', 'x/a']],
    ] as const) {
      expect(parses({ [key]: good }), `${key} ${good}`).toBe(true);
      for (const bad of bads) expect(parses({ [key]: bad }), `${key} ${bad}`).toBe(false);
    }
    expect(parses({ system_overlay_size: '512m' })).toBe(true);
    expect(parses({ web_listen_addr: '127.0.0.1:8080' })).toBe(true);
    expect(parses({ file_sync: [{ host: 'a', guest: 'b', mode: '0600' }] })).toBe(true);
    expect(parses({ file_sync: [{ host: 'a', guest: 'b', mode: '600' }] })).toBe(true);
    expect(parses({ file_sync: [{ host: 'a', guest: 'b', mode: '0800' }] })).toBe(false);
    expect(parses({ file_sync: [{ host: 'a', guest: 'b', mode: '00600' }] })).toBe(false);
    expect(parses({ file_sync: [{ host: '', guest: 'b' }] })).toBe(false);
    expect(parses({ file_sync: [{ host: 'a', guest: '' }] })).toBe(false);
    expect(parses({ file_sync: [{ host: 'a', guest: 'b', extra: 1 }] })).toBe(false);
  });

  it('bounds vCPU and memory, and refuses unknown keys at every level', () => {
    expect(parses({ vm_defaults: { vcpu: 1, memory_mib: 128 } })).toBe(true);
    expect(parses({ vm_defaults: { vcpu: 32, memory_mib: 1024 * 1024 } })).toBe(true);
    expect(parses({ vm_defaults: { vcpu: 0 } })).toBe(false);
    expect(parses({ vm_defaults: { vcpu: 33 } })).toBe(false);
    expect(parses({ vm_defaults: { memory_mib: 127 } })).toBe(false);
    expect(parses({ vm_defaults: { memory_mib: 1024 * 1024 + 1 } })).toBe(false);
    expect(parses({ vm_defaults: { vcpu: 1.5 } })).toBe(false);
    expect(parses({ vm_defaults: { disk_size: '16G' } })).toBe(true);
    expect(parses({ vm_defaults: { disk: '16G' } })).toBe(false);
    expect(parses({ bridge: 'x' })).toBe(false);
    for (const key of ['firecracker_bin', 'default_image_name', 'ssh_key_path']) {
      expect(parses({ [key]: '' }), key).toBe(false);
      expect(parses({ [key]: 'x' }), key).toBe(true);
    }
    expect(parses({ log_level: 'trace' })).toBe(true);
    expect(parses({ log_level: 'verbose' })).toBe(false);
  });
});

describe('web_listen_addr', () => {
  const issues = (file: unknown) =>
    configSchema
      .safeParse(file)
      .error?.issues.map((i) => ({ code: i.code, path: i.path, message: i.message }));

  it('takes any loopback address (127.0.0.0/8) without web_allow_remote', () => {
    for (const addr of ['127.0.0.1:7777', '127.1.2.3:0', '127.0.0.1:65535']) {
      expect(issues({ web_listen_addr: addr }), addr).toBeUndefined();
    }
  });

  it('refuses any other address unless web_allow_remote = true, naming both keys in one line', () => {
    for (const file of [
      { web_listen_addr: '0.0.0.0:7777' },
      { web_listen_addr: '192.168.1.5:7777', web_allow_remote: false },
      { web_listen_addr: '10.127.0.1:7777' },
    ]) {
      const found = issues(file);
      expect(found, JSON.stringify(file)).toHaveLength(1);
      expect(found?.[0]).toMatchObject({ code: 'custom', path: ['web_listen_addr'] });
      expect(found?.[0]?.message).toMatch(/^\S+ is not a loopback address.*set web_allow_remote = true/);
      expect(found?.[0]?.message).not.toContain('\n');
    }
  });

  it('takes a named remote address with web_allow_remote, but not the wildcard no Host can match', () => {
    expect(issues({ web_listen_addr: '192.168.1.5:7777', web_allow_remote: true })).toBeUndefined();
    const wildcard = issues({ web_listen_addr: '0.0.0.0:7777', web_allow_remote: true });
    expect(wildcard?.[0]).toMatchObject({ code: 'custom', path: ['web_listen_addr'] });
    expect(wildcard?.[0]?.message).toMatch(/not 0\.0\.0\.0/);
  });

  it('takes web_allow_remote alone (it only widens what web_listen_addr may be)', () => {
    expect(applyDefaults({ web_allow_remote: true })).toMatchObject({
      webListenAddr: undefined,
      webAllowRemote: true,
    });
    expect(parses({ web_allow_remote: 'yes' })).toBe(false);
  });
});
