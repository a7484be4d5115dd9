import { shellQuote } from '../../ssh/quote.js';
import { MISE_BASHRC_LINES, MISE_PROFILE_PATH, MISE_PROFILE_SCRIPT } from './mise.js';

/**
 * What banger changes inside the golden image after the packages are
 * installed. It runs as an mmdebstrap `--customize-hook` (a shell script,
 * `$1` = the image root, executed as root or as namespace root in unshare
 * mode), so the same configuration ends up in the tarball in both modes.
 */

/** Marker the hook prints first so the builder can report the `configure` stage. */
export const CONFIGURE_MARKER = 'banger-golden: configuring the guest';

/** Path of the sshd drop-in inside the image. */
export const SSHD_DROP_IN_PATH = '/etc/ssh/sshd_config.d/banger.conf';

/**
 * Key-only root login (seed 002, Security). sshd uses the first value it
 * reads for each keyword and Debian's sshd_config includes sshd_config.d/*
 * before its own settings, so these win. Only an ed25519 host key is used:
 * it is generated at first boot in a fraction of a second, where RSA takes
 * seconds under emulation.
 */
export const SSHD_DROP_IN = `# Written by banger: key-only root login; the host's SSH key is the only way in.
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /root/.ssh/authorized_keys
HostKey /etc/ssh/ssh_host_ed25519_key
`;

/**
 * Generates this VM's own SSH host key on its first boot (none is baked into
 * the image). It only needs a writable /etc/ssh, which the root is as soon as
 * banger's initramfs hands over, so it does not wait for local-fs.target (that
 * waits for the static /dev nodes, seconds into a boot under emulation).
 */
export const HOST_KEY_UNIT_NAME = 'banger-ssh-hostkey.service';
const HOST_KEY_UNIT = `[Unit]
Description=Generate this VM's SSH host key (banger)
DefaultDependencies=no
After=systemd-journald.socket
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
StartupCPUWeight=10000
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -C "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
RequiredBy=ssh.service
`;

/**
 * Units masked because they wait for things a microVM does not have, would
 * reconfigure what banger's initramfs set up (eth0, resolv.conf, hostname),
 * or would block boot on the console (systemd-firstboot prompts on a first
 * boot, and an empty machine-id makes every boot a first boot).
 */
export const MASKED_UNITS: readonly string[] = [
  'systemd-networkd.service',
  'systemd-networkd.socket',
  'systemd-networkd-wait-online.service',
  'systemd-resolved.service',
  'systemd-timesyncd.service',
  'systemd-firstboot.service',
  'networking.service',
  'ifupdown-wait-online.service',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'dpkg-db-backup.timer',
  'e2scrub_all.timer',
  'e2scrub_reap.service',
  'fstrim.timer',
  'man-db.timer',
  'systemd-pstore.service',
  'getty@tty1.service',
  // The journal is volatile (JOURNALD_DROP_IN): there is nothing to flush to /var/log/journal.
  'systemd-journal-flush.service',
  // No GPU; loop and dm_mod load on first use of /dev/loop-control and /dev/mapper/control.
  'modprobe@drm.service',
  'modprobe@loop.service',
  'modprobe@dm_mod.service',
];

/**
 * Disabled (not masked) so they start on demand: docker.socket stays
 * enabled and starts dockerd (and, through it, containerd) on first use,
 * which keeps a few seconds of daemon start-up out of every boot.
 */
const DISABLED_UNITS: readonly string[] = ['docker.service', 'containerd.service'];

/**
 * Docker's storage must not live on the overlay root: overlay2 refuses an
 * overlayfs backing filesystem and dockerd falls back to devicemapper,
 * which fails. The work disk (/root, ext4, grown with --disk-size) is the
 * VM's big persistent disk, so images and containers go there, where
 * rootless Docker keeps them too.
 */
export const DOCKER_DAEMON_JSON = `{
  "data-root": "/root/.local/share/docker"
}
`;

/**
 * The journal stays in memory: flushing it to /var/log/journal sits on the
 * boot's critical path (seconds under emulation), and the VM's console log
 * is kept by banger anyway.
 */
export const JOURNALD_DROP_IN = `# Written by banger: keep the journal in memory (faster boot; the console log is kept on the host).
[Journal]
Storage=volatile
RuntimeMaxUse=64M
`;

/**
 * sshd is on the shortest path after the root and /root are mounted (both
 * are, by banger's initramfs, before systemd starts):
 *
 * - DefaultDependencies=no: it does not wait for sysinit.target and
 *   basic.target (journald, the static /dev nodes, tmpfiles, utmp, udev
 *   coldplug: most of a boot under emulation). It needs the network (up
 *   before systemd, set by the initramfs), its host key
 *   (banger-ssh-hostkey.service, ordered before it), /run (mounted by
 *   systemd itself) and the journal's sockets for its log, which systemd
 *   listens on before it starts any service. The default Conflicts= and
 *   Before= on shutdown.target are kept, so sshd stops at power-off.
 * - StartupCPUWeight: on a one-vCPU guest everything the boot starts shares
 *   the CPU; during the boot sshd gets most of it, and its start job is the
 *   first service job systemd dispatches (it orders jobs of one unit type by
 *   CPU weight). Sessions opened before the boot finishes run in ssh.service
 *   with that weight too, which is what a user waiting on `vm run` wants.
 * - ExecStartPre= empty: sshd -t ran when the image was built (customizeScript)
 *   instead of on every boot, which costs seconds under emulation.
 *
 * Nothing in a login waits for the rest of the boot: the image has no
 * libpam-systemd (sessions were never registered with logind, so dbus is not
 * on the way), and docker.socket listens from the start (DOCKER_SOCKET_DROP_IN).
 */
export const SSH_SERVICE_DROP_IN = `# Written by banger: sshd starts as soon as the root is up (see guest-config.ts); sshd -t ran when the image was built.
[Unit]
DefaultDependencies=no
After=systemd-journald.socket systemd-journald-dev-log.socket
Conflicts=shutdown.target
Before=shutdown.target

[Service]
ExecStartPre=
StartupCPUWeight=10000
`;

/**
 * API filesystems a login does not need, which systemd would otherwise
 * mount before it starts any service (it dispatches mount jobs before
 * service jobs, and each mount is a fork and exec of mount(8), ~0.1 s under
 * emulation). They are mounted right after sshd has started instead.
 */
export const MOUNTS_AFTER_SSH: readonly string[] = [
  'dev-hugepages.mount',
  'dev-mqueue.mount',
  'sys-kernel-debug.mount',
  'sys-kernel-tracing.mount',
];
export const MOUNT_AFTER_SSH_DROP_IN = `# Written by banger: not needed for a login; mounted once sshd has started.
[Unit]
After=ssh.service
`;

/**
 * docker.socket listens from the start of the boot (systemd itself binds it,
 * so this costs nothing) instead of after sysinit.target, which now comes
 * after sshd: a `docker` command in the first session waits for dockerd to
 * start instead of failing with "Cannot connect to the Docker daemon".
 * docker.service keeps its default dependencies (it starts after basic.target).
 */
export const DOCKER_SOCKET_DROP_IN = `# Written by banger: listen from the start of the boot; docker.service still starts after basic.target.
[Unit]
DefaultDependencies=no
Before=sockets.target
Conflicts=shutdown.target
Before=shutdown.target
`;

/**
 * /tmp is not emptied at boot (Debian's tmp.conf has `D /tmp`): sshd accepts
 * logins seconds before systemd-tmpfiles-setup runs, which would delete what
 * a first session had already put in /tmp. Ordering sshd after it would put
 * the sysinit chain back on the way to SSH, and a separate cleaner ordered
 * before sshd costs ~0.5 s of exec under emulation. So /tmp keeps its
 * content across `vm stop`/`vm start`, as /var/tmp does; the rules that
 * remove stale systemd-private-* directories and X11 lock files still apply.
 */
export const TMPFILES_TMP_PATH = '/etc/tmpfiles.d/tmp.conf';
export const TMPFILES_TMP = `# Written by banger: /tmp is not emptied at boot (sshd accepts logins before tmpfiles runs).
d /tmp 1777 root root -
`;

/**
 * systemd generators a microVM has no use for: each is an exec before
 * systemd loads any unit (0.1-0.3 s each under emulation). They act on
 * /etc/crypttab, veritytab and integritytab (cryptsetup is not installed),
 * GPT partition discovery and hibernation resume (banger's disks have no
 * partition table; banger's initramfs mounts the root), offline system
 * updates, the kernel command line's systemd.run=, systemd.mask= and debug
 * shell (banger writes the command line), and a login prompt on the serial
 * console (banger keeps the console as a log file; nothing can type into it).
 * Kept: fstab, rc-local and sysv (a user's own mounts and init scripts).
 */
export const DISABLED_GENERATORS: readonly string[] = [
  'systemd-cryptsetup-generator',
  'systemd-veritysetup-generator',
  'systemd-integritysetup-generator',
  'systemd-gpt-auto-generator',
  'systemd-hibernate-resume-generator',
  'systemd-system-update-generator',
  'systemd-run-generator',
  'systemd-debug-generator',
  'systemd-getty-generator',
];

/**
 * Firecracker has no ACPI _S5: a guest power-off or halt leaves its process
 * alive with the vCPUs halted (its FAQ), so the VM would look running with
 * SSH dead. A guest reboot (reboot=k) ends it. So the golden image turns both
 * into a reboot: poweroff.target and halt.target are aliases of reboot.target
 * (`poweroff`, `halt`, `shutdown -h`, the power button), and a systemd-shutdown
 * hook reboots what still reaches the final stage as a power-off or halt
 * (`poweroff -f`). Only `poweroff -ff` (the reboot(2) call at once) escapes.
 * banger's initramfs writes the same aliases into other systemd roots.
 */
export const REBOOT_ALIASED_TARGETS: readonly string[] = ['poweroff.target', 'halt.target'];

/** systemd-shutdown runs every executable here with the verb (poweroff, halt, reboot, kexec) after unmounting. */
export const SHUTDOWN_HOOK_PATH = '/usr/lib/systemd/system-shutdown/banger-reboot';
export const SHUTDOWN_HOOK = `#!/bin/sh
# Written by banger: Firecracker stays alive after a guest power-off or halt; a reboot ends it.
case "$1" in
  poweroff|halt) sync; echo b > /proc/sysrq-trigger ;;
esac
`;

const UPDATE_INITRAMFS = '/usr/sbin/update-initramfs';

/**
 * The `--essential-hook` script (after the Essential packages, before the
 * rest): diverts update-initramfs to `true` while packages are installed.
 * banger builds its own initramfs, and Debian's kernel postinst and
 * initramfs-tools trigger would otherwise generate one twice (~30 s).
 * The customize hook puts the real program back.
 */
export function essentialScript(): string {
  return [
    'set -eu',
    `chroot "$1" dpkg-divert --quiet --local --rename --divert ${UPDATE_INITRAMFS}.banger --add ${UPDATE_INITRAMFS}`,
    `ln -sf /bin/true "$1${UPDATE_INITRAMFS}"`,
    '',
  ].join('\n');
}

/** The `--customize-hook` script. Every step is checked (`set -eu`). */
export function customizeScript(): string {
  const unitExists = (unit: string) =>
    `{ [ -e "$root/lib/systemd/system/${unit}" ] || [ -e "$root/usr/lib/systemd/system/${unit}" ]; }`;
  const lines = [
    'set -eu',
    `echo ${shellQuote(CONFIGURE_MARKER)} >&2`,
    'root="$1"',
    '[ -x "$root/usr/bin/systemctl" ] || { echo "banger: the package list must include systemd (the guest boots with systemd)" >&2; exit 1; }',
    // Undo the essential hook's diversion: update-initramfs works normally inside the VM.
    `rm -f "$root${UPDATE_INITRAMFS}"`,
    `chroot "$root" dpkg-divert --quiet --local --rename --divert ${UPDATE_INITRAMFS}.banger --remove ${UPDATE_INITRAMFS}`,
    // sshd: key-only root login as a drop-in; no host keys baked in.
    'mkdir -p "$root/etc/ssh/sshd_config.d"',
    `printf '%s' ${shellQuote(SSHD_DROP_IN)} > "$root${SSHD_DROP_IN_PATH}"`,
    `chmod 0644 "$root${SSHD_DROP_IN_PATH}"`,
    'rm -f "$root"/etc/ssh/ssh_host_*',
    // Check the effective sshd configuration now, with a throwaway host key, so boots can skip it.
    'if [ -x "$root/usr/sbin/sshd" ]; then',
    '  mkdir -p "$root/run/sshd"',
    `  chroot "$root" sh -c 'k=/run/banger-hostkey-check; ssh-keygen -q -t ed25519 -N "" -f $k && /usr/sbin/sshd -t -h $k; rc=$?; rm -f $k $k.pub; exit $rc' >&2`,
    '  rm -rf "$root/run/sshd"',
    '  mkdir -p "$root/etc/systemd/system/ssh.service.d"',
    `  printf '%s' ${shellQuote(SSH_SERVICE_DROP_IN)} > "$root/etc/systemd/system/ssh.service.d/banger.conf"`,
    ...MOUNTS_AFTER_SSH.flatMap((m) => [
      `  mkdir -p "$root/etc/systemd/system/${m}.d"`,
      `  printf '%s' ${shellQuote(MOUNT_AFTER_SSH_DROP_IN)} > "$root/etc/systemd/system/${m}.d/banger.conf"`,
    ]),
    'fi',
    `printf '%s' ${shellQuote(HOST_KEY_UNIT)} > "$root/etc/systemd/system/${HOST_KEY_UNIT_NAME}"`,
    `chroot "$root" systemctl enable ${HOST_KEY_UNIT_NAME} >&2`,
    // No password login for root, ever: lock it (the SSH key is the only way in).
    'chroot "$root" passwd --lock root >&2',
    // Each VM gets its own machine-id at boot.
    ': > "$root/etc/machine-id"',
    'rm -f "$root/var/lib/dbus/machine-id"',
    // Written by banger's initramfs at boot; never leak the build host's values into the image.
    'printf "localhost\\n" > "$root/etc/hostname"',
    'printf "# written at boot by banger (banger.dns=)\\n" > "$root/etc/resolv.conf"',
    'printf "127.0.0.1\\tlocalhost\\n::1\\t\\tlocalhost ip6-localhost ip6-loopback\\n" > "$root/etc/hosts"',
    // banger builds its own initramfs from the kernel; Debian's is dead weight.
    'rm -f "$root"/boot/initrd.img-* "$root/initrd.img" "$root/initrd.img.old"',
    `chroot "$root" systemctl mask ${MASKED_UNITS.join(' ')} >&2`,
    'mkdir -p "$root/etc/systemd/system-generators"',
    ...DISABLED_GENERATORS.map((g) => `ln -sfn /dev/null "$root/etc/systemd/system-generators/${g}"`),
    'mkdir -p "$root/etc/tmpfiles.d"',
    `printf '%s' ${shellQuote(TMPFILES_TMP)} > "$root${TMPFILES_TMP_PATH}"`,
    // Power-off and halt become a reboot, which ends Firecracker (see REBOOT_ALIASED_TARGETS).
    ...REBOOT_ALIASED_TARGETS.map(
      (t) => `ln -sfn /lib/systemd/system/reboot.target "$root/etc/systemd/system/${t}"`,
    ),
    `mkdir -p "$root${SHUTDOWN_HOOK_PATH.slice(0, SHUTDOWN_HOOK_PATH.lastIndexOf('/'))}"`,
    `printf '%s' ${shellQuote(SHUTDOWN_HOOK)} > "$root${SHUTDOWN_HOOK_PATH}"`,
    `chmod 0755 "$root${SHUTDOWN_HOOK_PATH}"`,
    ...DISABLED_UNITS.map((u) => `if ${unitExists(u)}; then chroot "$root" systemctl disable ${u} >&2; fi`),
    // The partial download dirs are _apt's in Debian; mmdebstrap leaves them root's when it cannot
    // sandbox apt (its chroot lives in banger's private 0700 state dir).
    'if chroot "$root" getent passwd _apt >/dev/null; then',
    '  chroot "$root" chown _apt:root /var/cache/apt/archives/partial /var/lib/apt/lists/partial',
    'fi',
    'if [ -x "$root/usr/sbin/dockerd" ]; then',
    '  mkdir -p "$root/etc/docker"',
    `  printf '%s' ${shellQuote(DOCKER_DAEMON_JSON)} > "$root/etc/docker/daemon.json"`,
    'fi',
    `if ${unitExists('docker.socket')}; then`,
    '  mkdir -p "$root/etc/systemd/system/docker.socket.d"',
    `  printf '%s' ${shellQuote(DOCKER_SOCKET_DROP_IN)} > "$root/etc/systemd/system/docker.socket.d/banger.conf"`,
    'fi',
    // mise's shell activation (the binary itself is added after the tarball is unpacked; see mise.ts).
    'mkdir -p "$root/etc/profile.d"',
    `printf '%s' ${shellQuote(MISE_PROFILE_SCRIPT)} > "$root${MISE_PROFILE_PATH}"`,
    `chmod 0644 "$root${MISE_PROFILE_PATH}"`,
    `printf '%s' ${shellQuote(MISE_BASHRC_LINES)} >> "$root/etc/bash.bashrc"`,
    'mkdir -p "$root/etc/systemd/journald.conf.d"',
    `printf '%s' ${shellQuote(JOURNALD_DROP_IN)} > "$root/etc/systemd/journald.conf.d/banger.conf"`,
    // apt's package lists are large and stale by the time a VM boots; `apt update` fetches fresh ones.
    'rm -rf "$root"/var/lib/apt/lists/*_* "$root"/var/cache/apt/*.bin',
    // Mark /etc and /var as up to date with /usr, so ConditionNeedsUpdate units (ldconfig,
    // sysusers, hwdb, journal catalog) do not run on every VM's first boot. Last, so they are newest.
    'touch "$root/etc/.updated" "$root/var/.updated"',
    'echo "banger-golden: guest configured" >&2',
  ];
  return `${lines.join('\n')}\n`;
}
