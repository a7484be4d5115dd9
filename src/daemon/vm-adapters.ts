import { AppError } from '../domain/errors.js';
import { generateHostKey } from '../host/ssh/host-key.js';
import { ensureSshKey, type SshIdentity } from '../host/ssh/identity.js';
import { KnownHosts } from '../host/ssh/known-hosts.js';
import { waitForSsh } from '../host/ssh/wait-ready.js';
import type { DaemonContext } from './context.js';
import type { VmAdapters } from './vm-layer.js';

const missing = (what: string) => () => {
  throw new AppError('host_unsupported', `${what} is not available in this build yet`);
};

/** The real host adapters for the VM service, built from the daemon's context. */
export function hostVmAdapters(ctx: Omit<DaemonContext, 'vms'>): VmAdapters {
  const { runner, paths, config } = ctx;
  const knownHosts = new KnownHosts(paths.knownHostsFile);
  let clientKey: Promise<SshIdentity> | undefined;
  return {
    identity: {
      clientKey: () => {
        clientKey ??= ensureSshKey({
          runner,
          configuredPath: config.sshKeyPath,
          defaultPath: paths.sshKeyFile,
        }).catch((err: unknown) => {
          clientKey = undefined;
          throw err;
        });
        return clientKey;
      },
      knownHostsFile: paths.knownHostsFile,
      newHostKey: () => generateHostKey(runner, paths.tmpDir),
      trust: (vmId, addresses, key) => knownHosts.trust(vmId, addresses, key),
      forget: (names) => knownHosts.forget(names),
    },
    driver: {
      launch: missing('the Firecracker driver'),
      identify: async () => false,
      stop: async () => 'gone',
      kill: async () => {},
      waitExit: () => new Promise(() => {}),
      stats: missing('the Firecracker driver'),
    },
    disks: {
      createSystemDisk: missing('disk creation'),
      createWorkDisk: missing('disk creation'),
      growWorkDisk: missing('disk resizing'),
      usage: missing('disk usage'),
    },
    images: {
      resolve: (name) => ctx.images.images.resolveBootArtifacts(name),
      ensure: (name, onProgress, signal) => ctx.images.images.ensureImage(name, onProgress, signal),
    },
    readiness: {
      waitForSsh: (host, o) =>
        waitForSsh({ host, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) }),
    },
  };
}
