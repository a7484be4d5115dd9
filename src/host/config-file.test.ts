import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { loadConfig } from './config-file.js';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'banger-config-'));
  const file = join(dir, 'config.toml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('gives defaults when the file is missing', () => {
    const config = loadConfig('/nonexistent/banger/config.toml', {});
    expect(config.bridgeName).toBe('banger0');
    expect(config.cidr).toBe('172.16.0.0/24');
    expect(config.dnsListenAddr).toBe('127.0.0.1:42069');
    expect(config.logLevel).toBe('info');
  });

  it('reads keys and nested tables', () => {
    const file = write(
      'log_level = "debug"\ntap_pool_size = 2\n[vm_defaults]\nvcpu = 4\ndisk_size = "16G"\n',
    );
    const config = loadConfig(file, {});
    expect(config.logLevel).toBe('debug');
    expect(config.tapPoolSize).toBe(2);
    expect(config.vmDefaults).toEqual({ vcpu: 4, disk_size: '16G' });
  });

  it('keeps tap_pool_size = 0 (no pool) instead of the default 4', () => {
    expect(loadConfig(write('tap_pool_size = 0\n'), {}).tapPoolSize).toBe(0);
    expect(loadConfig(write(''), {}).tapPoolSize).toBe(4);
  });

  it('lets BANGER_LOG_LEVEL override log_level', () => {
    const file = write('log_level = "warn"\n');
    expect(loadConfig(file, { BANGER_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('names file, line and key for a typo', () => {
    const file = write('# comment\nlog_level = "info"\nbrige_name = "x"\n');
    const err = errorOf(() => loadConfig(file, {}));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toBe(
      `${file}:3: brige_name: unknown key; see the README for the list of config keys`,
    );
  });

  it('names file, line and key for a wrong type in a table', () => {
    const file = write('[vm_defaults]\nmemory_mib = 1024\nvcpu = "four"\n');
    const err = errorOf(() => loadConfig(file, {}));
    expect(err.message).toMatch(new RegExp(`^${file}:3: vm_defaults\\.vcpu: .*number`));
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('names the entry of an array of tables', () => {
    const file = write(
      '[[file_sync]]\nhost = "~/.aws"\nguest = "~/.aws"\n\n[[file_sync]]\nhost = "a"\nguest = "b"\nmode = "rwx"\n',
    );
    const err = errorOf(() => loadConfig(file, {}));
    expect(err.message).toMatch(new RegExp(`^${file}:8: file_sync\\.1\\.mode: `));
  });

  it('reports TOML syntax errors with the line', () => {
    const file = write('a = 1\nb = = 2\n');
    const err = errorOf(() => loadConfig(file, {}));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(new RegExp(`^${file}:2: `));
  });

  it('says it cannot read a config that is not a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'banger-config-dir-'));
    const err = errorOf(() => loadConfig(dir, {}));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(new RegExp(`^${dir}: cannot read config: EISDIR`));
  });

  it('gives the first line of a TOML syntax error and the fix', () => {
    const file = write('a = 1\nb = = 2\n');
    const message = errorOf(() => loadConfig(file, {})).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(new RegExp(`^${file}:2: .{10,}; fix the TOML syntax$`));
  });

  it('gives a hint for a key of the original tool that banger dropped', () => {
    const file = write('log_level = "info"\ndefault_dns = "1.1.1.1"\n');
    expect(errorOf(() => loadConfig(file, {})).message).toBe(
      `${file}:2: default_dns: banger does not use this key: guests get banger's DNS server for .vm names and the host's own resolvers for the rest; remove the key`,
    );
    // Only at the top level, and only the table's own keys (not Object.prototype's).
    for (const text of ['[vm_defaults]\ndefault_kernel = "x"\n', 'constructor = 1\n', '__proto__ = 1\n']) {
      expect(errorOf(() => loadConfig(write(text), {})).message).toMatch(
        /: unknown key; see the README for the list of config keys$/,
      );
    }
  });

  it('reads durations and refuses bad ones with the key and line', () => {
    const config = loadConfig(
      write('auto_stop_stale_after = "1h30m"\nstats_poll_interval = "250ms"\nmetrics_poll_interval = "0s"\n'),
      {},
    );
    expect(config.autoStopStaleAfterMs).toBe(5_400_000);
    expect(config.statsPollIntervalMs).toBe(250);
    expect(config.metricsPollIntervalMs).toBe(0);
    const defaults = loadConfig(write('auto_stop_stale_after = "0s"\n'), {});
    expect([
      defaults.autoStopStaleAfterMs,
      defaults.statsPollIntervalMs,
      defaults.metricsPollIntervalMs,
    ]).toEqual([undefined, 5000, 15_000]);
    const bad = write('log_level = "info"\nauto_stop_stale_after = "10 minutes"\n');
    expect(errorOf(() => loadConfig(bad, {})).message).toBe(
      `${bad}:2: auto_stop_stale_after: expected a duration such as "30s", "10m" or "1h30m"`,
    );
    // The bounds themselves are allowed.
    expect(loadConfig(write('stats_poll_interval = "100ms"\n'), {}).statsPollIntervalMs).toBe(100);
    expect(loadConfig(write('stats_poll_interval = "1h"\n'), {}).statsPollIntervalMs).toBe(3_600_000);
    for (const value of ['99ms', '1h1ms']) {
      const file = write(`stats_poll_interval = "${value}"\n`);
      expect(errorOf(() => loadConfig(file, {})).message).toBe(
        `${file}:1: stats_poll_interval: expected an interval between "100ms" and "1h"`,
      );
    }
  });

  it('names an unknown key inside a table with its path', () => {
    const file = write('[vm_defaults]\nvcpu = 2\ncpus = 4\n');
    expect(errorOf(() => loadConfig(file, {})).message).toBe(
      `${file}:3: vm_defaults.cpus: unknown key; see the README for the list of config keys`,
    );
  });

  it('names keys set inside inline tables and arrays', () => {
    const file = write('vm_defaults = { vcpu = "x" }\n');
    expect(errorOf(() => loadConfig(file, {})).message).toMatch(
      new RegExp(`^${file}(:1)?: vm_defaults\\.vcpu: `),
    );
    const inline = write('file_sync = [{ host = "a", guest = "" }]\n');
    expect(errorOf(() => loadConfig(inline, {})).message).toMatch(
      new RegExp(`^${inline}(:1)?: file_sync\\.0\\.guest: `),
    );
  });

  it('applies defaults and the environment to a valid file', () => {
    const config = loadConfig(write('bridge_name = "br1"\n'), { BANGER_LOG_LEVEL: 'error' });
    expect(config.bridgeName).toBe('br1');
    expect(config.cidr).toBe('172.16.0.0/24');
    expect(config.logLevel).toBe('error');
    expect(loadConfig('/nonexistent/banger/config.toml', { BANGER_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  });
});
