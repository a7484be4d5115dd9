import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  createSystemDisk,
  createWorkDisk,
  diskUsage,
  type Ext4FileEntry,
  growWorkDisk,
  OVERLAY_UPPER_DIR,
  planWorkDiskFiles,
  WorkDiskTemplates,
} from '../host/disk/index.js';
import { createFirecrackerDriver } from '../host/firecracker/process-driver.js';
import { generateHostKey } from '../host/ssh/host-key.js';
import { ensureSshKey, type SshIdentity } from '../host/ssh/identity.js';
import { KnownHosts } from '../host/ssh/known-hosts.js';
import { waitForSsh } from '../host/ssh/wait-ready.js';
import { agentRequest, pingAgent } from '../host/vsock/agent-client.js';
import { openAgentStream } from '../host/vsock/agent-stream.js';
import type { DaemonContext } from './context.js';
import type { HostKeyPair } from './services/vm/ports.js';
import { VSOCK_SOCKET } from './services/vm/start-vm.js';
import type { VmAdapters } from './vm-layer.js';

/**
 * The VM's SSH host key in the overlay's upper layer, so the guest's sshd
 * presents the key banger trusts. The directories get Debian's usual 0755:
 * an upper directory's attributes win over the image's.
 */
function hostKeyEntries(key: HostKeyPair): Ext4FileEntry[] {
  const root = { uid: 0, gid: 0, dirMode: 0o755 };
  const etc = `${OVERLAY_UPPER_DIR}/etc`;
  return [
    { ...root, kind: 'dir', path: etc, mode: 0o755 },
    { ...root, kind: 'dir', path: `${etc}/ssh`, mode: 0o755 },
    {
      ...root,
      kind: 'content',
      path: `${etc}/ssh/ssh_host_ed25519_key`,
      content: Buffer.from(key.privateKey),
      mode: 0o600,
    },
    {
      ...root,
      kind: 'content',
      path: `${etc}/ssh/ssh_host_ed25519_key.pub`,
      content: Buffer.from(`${key.publicKey}\n`),
      mode: 0o644,
    },
  ];
}

/** The real host adapters for the VM service, built from the daemon's context. */
export function hostVmAdapters(ctx: Omit<DaemonContext, 'vms'>): VmAdapters {
  const { runner, paths, config } = ctx;
  const knownHosts = new KnownHosts(paths.knownHostsFile);
  let clientKey: Promise<SshIdentity> | undefined;
  const workTemplates = new WorkDiskTemplates(runner, join(paths.cacheDir, 'work-disks'));
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
      newHostKey: async () => generateHostKey(),
      trust: (vmId, addresses, key) => knownHosts.trust(vmId, addresses, key),
      forget: (names) => knownHosts.forget(names),
    },
    driver: createFirecrackerDriver(),
    disks: {
      createSystemDisk: (path, bytes, hostKey) =>
        createSystemDisk(runner, path, bytes, { files: hostKeyEntries(hostKey) }),
      createWorkDisk: async ({ path, bytes, seed, authorizedKey }) => {
        // Planned first: a bad file_sync entry fails before any disk work.
        const files = await planWorkDiskFiles({ authorizedKey, fileSync: config.fileSync, home: homedir() });
        await createWorkDisk(runner, { path, bytes, seed, files, templates: workTemplates });
      },
      growWorkDisk: (path, bytes) => growWorkDisk(runner, path, bytes),
      usage: (path) => diskUsage(path),
    },
    images: {
      resolve: (name) => ctx.images.images.resolveBootArtifacts(name),
      ensure: (name, onProgress, signal) => ctx.images.images.ensureImage(name, onProgress, signal),
    },
    readiness: {
      waitForSsh: (host, o) =>
        waitForSsh({ host, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) }),
    },
    agent: {
      ping: (vmDir, timeoutMs) => pingAgent(join(vmDir, VSOCK_SOCKET), timeoutMs),
      request: (vmDir, body, timeoutMs) => agentRequest(join(vmDir, VSOCK_SOCKET), body, timeoutMs),
      openStream: async (vmDir, body, timeoutMs) => {
        const { response, socket } = await openAgentStream(join(vmDir, VSOCK_SOCKET), body, timeoutMs);
        return { response, stream: socket };
      },
    },
  };
}
