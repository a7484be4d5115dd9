import { AppError } from '../../domain/errors.js';
import { which } from '../probe.js';
import type { Runner } from '../runner.js';
import { missingHostTools } from './host-tools.js';

export type PackagesReport =
  | { action: 'all-present' }
  | { action: 'installed' | 'declined'; packages: string[]; tools: string[] };

export interface InstallPackagesOptions {
  runner: Runner;
  /** Asked before installing (a TTY prompt); without it the flag itself is the consent. */
  confirm?: (packages: readonly string[]) => Promise<boolean>;
  find?: (tool: string) => string | undefined;
  /** apt-get's output as it comes (the CLI shows it: an install can take minutes). */
  onOutput?: (chunk: Buffer) => void;
}

/**
 * `system setup --install-packages`: installs, with apt-get, the packages of
 * the host tools doctor would report missing. Hosts without apt-get get the
 * package list to install with their own package manager.
 */
export async function installMissingPackages(o: InstallPackagesOptions): Promise<PackagesReport> {
  const find = o.find ?? which;
  const missing = missingHostTools(find);
  if (missing.length === 0) return { action: 'all-present' };
  const packages = [...new Set(missing.map((t) => t.pkg))];
  const tools = missing.map((t) => t.tool);
  const aptGet = find('apt-get');
  if (aptGet === undefined) {
    throw new AppError(
      'host_unsupported',
      `apt-get not found; install these packages (Debian names) with your distribution's package manager: ${packages.join(' ')}`,
    );
  }
  if (o.confirm && !(await o.confirm(packages))) return { action: 'declined', packages, tools };
  await o.runner.run([aptGet, 'install', '-y', '--no-install-recommends', ...packages], {
    // sudo's secure_path, whatever PATH setup itself ran with: dpkg's maintainer scripts need it.
    env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 15 * 60_000,
    ...(o.onOutput ? { onOutput: o.onOutput } : {}),
  });
  return { action: 'installed', packages, tools };
}
