// The Firecracker side of banger: finding the binary, the driver that runs
// one Firecracker per VM, the kernel command line, and log capping.
export { FirecrackerApi, FirecrackerApiError } from './api-client.js';
export {
  type CapResult,
  ConsoleCap,
  capConsoleLog,
  DEFAULT_CONSOLE_CAP_BYTES,
  watchVmLogs,
} from './console-cap.js';
export * from './driver.js';
export { SOCKET_PATH_MAX, type VmFiles, vmFiles } from './launch-plan.js';
export { createFirecrackerDriver, type ProcessDriverOptions } from './process-driver.js';
export { type FirecrackerBinary, MIN_FIRECRACKER, resolveFirecracker } from './resolve.js';
