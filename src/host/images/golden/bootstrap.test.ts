import { describe, expect, it } from 'vitest';
import { mmdebstrapArgv, sourceLines } from './bootstrap.js';
import { BootstrapProgress } from './bootstrap-progress.js';
import {
  CONFIGURE_MARKER,
  customizeScript,
  REBOOT_ALIASED_TARGETS,
  SHUTDOWN_HOOK,
  SHUTDOWN_HOOK_PATH,
  SSH_SERVICE_DROP_IN,
  SSHD_DROP_IN,
} from './guest-config.js';

describe('mmdebstrap command line', () => {
  it('ties the build to its parent, wraps root mode in its own PID and mount namespace, writes a tarball', () => {
    const argv = mmdebstrapArgv({ mode: 'root', packages: ['git', 'jq'], tarPath: '/s/rootfs.tar' });
    expect(argv.slice(0, 9)).toEqual([
      'setpriv',
      '--pdeathsig',
      'KILL',
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      'mmdebstrap',
    ]);
    expect(argv).toEqual(
      expect.arrayContaining([
        '--mode=root',
        '--variant=apt',
        '--format=tar',
        '--include=git,jq',
        'bookworm',
        '/s/rootfs.tar',
      ]),
    );
    expect(argv.some((a) => a.startsWith('--customize-hook=') && a.includes(CONFIGURE_MARKER))).toBe(true);
  });

  it('runs unshare mode directly', () => {
    const argv = mmdebstrapArgv({ mode: 'unshare', packages: ['git'], tarPath: '/t.tar' });
    expect(argv.slice(0, 4)).toEqual(['setpriv', '--pdeathsig', 'KILL', 'mmdebstrap']);
    expect(argv).toContain('--mode=unshare');
  });

  it('adds the security archive only for the default mirror', () => {
    expect(sourceLines()).toHaveLength(3);
    expect(sourceLines().at(-1)).toMatch(/debian-security bookworm-security/);
    expect(sourceLines('http://mirror.local/debian')).toEqual([
      'deb http://mirror.local/debian bookworm main',
      'deb http://mirror.local/debian bookworm-updates main',
    ]);
  });

  it('the customize hook writes the sshd drop-in verbatim and removes host keys', () => {
    const script = customizeScript();
    expect(script).toContain(`'${SSHD_DROP_IN.replaceAll("'", `'\\''`)}'`);
    expect(script).toContain('rm -f "$root"/etc/ssh/ssh_host_*');
    expect(script).toContain('passwd --lock root');
  });

  it('the customize hook turns power-off and halt into a reboot (Firecracker stays alive after a power-off)', () => {
    const script = customizeScript();
    expect(REBOOT_ALIASED_TARGETS).toEqual(['poweroff.target', 'halt.target']);
    for (const t of REBOOT_ALIASED_TARGETS)
      expect(script).toContain(`ln -sfn /lib/systemd/system/reboot.target "$root/etc/systemd/system/${t}"`);
    expect(script).toContain(`'${SHUTDOWN_HOOK}' > "$root${SHUTDOWN_HOOK_PATH}"`);
    expect(script).toContain(`chmod 0755 "$root${SHUTDOWN_HOOK_PATH}"`);
    expect(SHUTDOWN_HOOK).toMatch(/poweroff\|halt\) sync; echo b > \/proc\/sysrq-trigger/);
  });
});

describe('sshd on the boot path', () => {
  it('orders ssh.service only after the journal sockets and keeps it stopping at shutdown', () => {
    const unit = SSH_SERVICE_DROP_IN.split('\n');
    expect(unit).toContain('DefaultDependencies=no');
    expect(unit).toContain('After=systemd-journald.socket systemd-journald-dev-log.socket');
    expect(unit).toContain('Conflicts=shutdown.target');
    expect(unit).toContain('Before=shutdown.target');
    expect(unit).toContain('ExecStartPre=');
    expect(customizeScript()).toContain(
      `'${SSH_SERVICE_DROP_IN}' > "$root/etc/systemd/system/ssh.service.d/banger.conf"`,
    );
  });
});

describe('BootstrapProgress', () => {
  it('reports I: lines, throttled package counts and the configure stage', () => {
    const events: { stage: string; message: string }[] = [];
    let now = 0;
    const p = new BootstrapProgress(
      (e) => events.push(e),
      1000,
      () => now,
    );
    p.feed('I: running apt-get update...\nSetting up libc6:amd64 (2.36) ...\nSetting up ');
    now = 500;
    p.feed('zlib1g:amd64 (1) ...\n');
    now = 1500;
    p.feed("Setting up git (1:2.39) ...\nI: running --customize-hook in shell: sh -c 'set -eu\n");
    p.feed(`${CONFIGURE_MARKER}\n`);
    expect(events).toEqual([
      { stage: 'bootstrap', message: 'running apt-get update...' },
      { stage: 'bootstrap', message: '1 packages set up (now libc6)' },
      { stage: 'bootstrap', message: '3 packages set up (now git)' },
      { stage: 'configure', message: expect.stringMatching(/configuring/) },
    ]);
    expect(p.packagesSetUp).toBe(3);
  });
});
