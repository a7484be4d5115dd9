// The OCI pull surface the daemon wires in. Everything else in this folder is internal.
export { BlobCache } from './blob-cache.js';
export type { Ext4Options } from './ext4.js';
export { DEFAULT_PULL_LIMITS, type PullLimits } from './limits.js';
export { defaultOwnershipMode, type OwnershipMode } from './ownership.js';
export { type PulledImage, type PullImageOptions, type PullProgress, pullImage } from './pull.js';
export { formatReference, type ImageReference, parseReference } from './reference.js';
export type { ImageRunConfig } from './schemas.js';
export { cleanStalePulls } from './stale.js';
