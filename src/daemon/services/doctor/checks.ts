import { existsSync } from 'node:fs';
import { AppError } from '../../../domain/errors.js';
import { formatSpecLine, resolveSizing } from '../../../domain/vm-spec.js';
import { resolveFirecracker, WITHOUT_KVM_HINT } from '../../../host/firecracker/resolve.js';
import { mmdebstrapMode } from '../../../host/images/golden/mmdebstrap-mode.js';
import { agentBinaryPath } from '../../../host/images/initramfs/agent-binary.js';
import { DEBIAN_ARCHIVE_KEYRING } from '../../../host/images/kernel/debian-archive.js';
import { canReadWrite, dirFacts, freeBytes, hostFacts } from '../../../host/probe.js';
import { hostToolChecks } from './host-tools.js';
import { networkChecks } from './network-checks.js';
import type { CheckDefinition } from './registry.js';

const GiB = 1024 ** 3;

const kvm: CheckDefinition = {
  id: 'kvm',
  title: '/dev/kvm read/write access',
  run: () => {
    if (canReadWrite('/dev/kvm')) return { status: 'pass', detail: '/dev/kvm is accessible' };
    return {
      status: 'fail',
      detail: '/dev/kvm is missing or not accessible to this user',
      fix: `enable virtualization and add yourself to the kvm group: sudo usermod -aG kvm $USER (then log in again); ${WITHOUT_KVM_HINT}`,
    };
  },
};

/**
 * Firecracker runs as the user and opens its TAP through /dev/net/tun. Most
 * distributions make the node 0666; where it is 0600 root, every VM start
 * would fail with "Permission denied" while the rest of doctor is green.
 */
export function tunDeviceCheck(device = '/dev/net/tun'): CheckDefinition {
  return {
    id: 'net-tun',
    title: `${device} read/write access (Firecracker opens the VM's TAP)`,
    run: () => {
      if (canReadWrite(device)) return { status: 'pass', detail: `${device} is accessible` };
      return {
        status: 'fail',
        detail: `${device} is missing or not accessible to this user`,
        fix: `sudo chmod 0666 ${device} (as most distributions ship it); to keep it across reboots, a udev rule: KERNEL=="tun", MODE="0666"`,
      };
    },
  };
}

const firecracker: CheckDefinition = {
  id: 'firecracker',
  title: 'Firecracker ≥ 1.8',
  run: async ({ runner, config }) => {
    try {
      const fc = await resolveFirecracker(runner, config.firecrackerBin);
      return { status: 'pass', detail: `${fc.path} (v${fc.version})` };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return {
        status: 'fail',
        detail: err.message.split(';')[0] ?? err.message,
        fix: `install Firecracker ≥ 1.8 from https://github.com/firecracker-microvm/firecracker/releases or set firecracker_bin in config.toml; ${WITHOUT_KVM_HINT}`,
      };
    }
  },
};

function privateDirCheck(
  id: string,
  title: string,
  pick: (p: import('../../../host/paths.js').BangerPaths) => string,
): CheckDefinition {
  return {
    id,
    title,
    run: ({ paths }) => {
      const dir = pick(paths);
      const facts = dirFacts(dir);
      const uid = process.getuid?.();
      if (!facts.exists) return { status: 'pass', detail: `${dir} (created on first use)` };
      if (uid !== undefined && facts.uid !== uid) {
        return {
          status: 'fail',
          detail: `${dir} is owned by uid ${facts.uid}`,
          fix: `sudo chown -R $USER ${dir}`,
        };
      }
      if (facts.mode !== 0o700) {
        return {
          status: 'warn',
          detail: `${dir} has mode ${facts.mode?.toString(8)}`,
          fix: `chmod 700 ${dir}`,
        };
      }
      return { status: 'pass', detail: `${dir} (0700)` };
    },
  };
}

const freeDisk: CheckDefinition = {
  id: 'disk-space',
  title: 'free disk in the state directory',
  run: ({ paths }) => {
    const free = freeBytes(dirFacts(paths.stateDir).exists ? paths.stateDir : '/');
    const text = `${(free / GiB).toFixed(1)} GiB free under ${paths.stateDir}`;
    if (free < 2 * GiB)
      return { status: 'fail', detail: text, fix: 'free at least 2 GiB; images and VM disks need space' };
    if (free < 10 * GiB)
      return { status: 'warn', detail: text, fix: 'an image plus a few VMs needs about 10 GiB' };
    return { status: 'pass', detail: text };
  },
};

const vmDefaults: CheckDefinition = {
  id: 'vm-defaults',
  title: 'default size of new VMs',
  run: ({ config }) => {
    try {
      return {
        status: 'pass',
        detail: formatSpecLine(resolveSizing({}, config, hostFacts())).replace(/^spec: /, ''),
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { status: 'fail', detail: err.message, fix: 'correct [vm_defaults] in config.toml' };
    }
  },
};

const goldenBuild: CheckDefinition = {
  id: 'mmdebstrap-mode',
  title: 'building the golden image (mmdebstrap mode)',
  run: async ({ runner }) => {
    const report = await mmdebstrapMode(runner);
    if (report.mode === 'unavailable') {
      return {
        status: 'warn',
        detail: `${report.detail}; banger image build cannot run (image pull still works)`,
        fix: report.fix ?? 'sudo apt-get install mmdebstrap uidmap',
      };
    }
    return { status: 'pass', detail: report.detail };
  },
};

/**
 * Kernel pulls check the signature of Debian's index with this keyring and
 * are refused without it, unless the user opted out in config.toml; both
 * deserve a warning. Only a warning: images with their own kernel still work.
 */
export function kernelKeyringCheck(keyring: string = DEBIAN_ARCHIVE_KEYRING): CheckDefinition {
  return {
    id: 'kernel-keyring',
    title: 'Debian archive keyring (verifies kernel pulls)',
    run: ({ config }) => {
      const present = existsSync(keyring);
      if (config.insecureSkipKernelSignature) {
        return {
          status: 'warn',
          detail:
            "insecure_skip_kernel_signature is set: kernel pulls do not check the signature of Debian's index",
          fix: `${present ? '' : 'sudo apt-get install debian-archive-keyring, then '}remove insecure_skip_kernel_signature from config.toml`,
        };
      }
      if (present) return { status: 'pass', detail: keyring };
      return {
        status: 'warn',
        detail: `${keyring} is missing, so kernel pulls are refused (their signature cannot be checked)`,
        fix: 'sudo apt-get install debian-archive-keyring',
      };
    },
  };
}

/**
 * Kernel sets carry banger's guest agent into every guest; without the
 * binary next to banger, building one fails (and `vm show` cannot report
 * guest health for VMs booted with an older set).
 */
export function guestAgentCheck(find: () => string = agentBinaryPath): CheckDefinition {
  return {
    id: 'guest-agent',
    title: "banger's guest agent binary (put into every kernel set)",
    run: () => {
      try {
        return { status: 'pass', detail: find() };
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const [detail, fix] = err.message.split('; ');
        return { status: 'fail', detail: detail ?? err.message, fix: fix ?? 'run `npm run build`' };
      }
    },
  };
}

/** The doctor's checks, in report order. Later capabilities append their own. */
export const defaultChecks: readonly CheckDefinition[] = [
  kvm,
  tunDeviceCheck(),
  firecracker,
  ...hostToolChecks,
  privateDirCheck('state-dir', 'state directory ownership and mode', (p) => p.stateDir),
  privateDirCheck('runtime-dir', 'socket directory ownership and mode', (p) => p.runtimeDir),
  freeDisk,
  vmDefaults,
  goldenBuild,
  kernelKeyringCheck(),
  guestAgentCheck(),
  ...networkChecks,
];
