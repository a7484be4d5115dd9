// The OCI pull surface the daemon wires in. Everything else in this folder is internal.
export { BlobCache } from './blob-cache.js';
export type { PullLimits } from './limits.js';
export { defaultOwnershipMode } from './ownership.js';
export { type PullProgress, pullImage } from './pull.js';
export { formatReference, parseReference } from './reference.js';
export { cleanStalePulls } from './stale.js';
