import type { Config } from '../domain/config.js';
import type { Logger } from '../host/logger.js';
import type { BangerPaths } from '../host/paths.js';
import type { Runner } from '../host/runner.js';
import type { Db } from '../store/db.js';
import type { CheckDefinition } from './services/doctor/registry.js';
import type { ImageServices } from './services/images/index.js';
import type { VmService } from './services/vm/vm-service.js';

/** Everything a route or service needs; built once in the composition root. */
export interface DaemonContext {
  config: Config;
  paths: BangerPaths;
  runner: Runner;
  logger: Logger;
  db: Db;
  startedAt: Date;
  doctorChecks: readonly CheckDefinition[];
  /** Images and kernel sets (resolveBootArtifacts, ensureImage for the VM service). */
  images: ImageServices;
  /** Where the `.vm` DNS server listens, or why it could not start. */
  dns: { listening: string[]; error: string | undefined };
  /** The VM lifecycle. */
  vms: VmService;
  /** Asks the daemon to shut down gracefully after the current response. */
  requestShutdown(): void;
}
