export { MIN_DISK_BYTES } from './format.js';
export { createSystemDisk, OVERLAY_UPPER_DIR, OVERLAY_WORK_DIR } from './system-disk.js';
export { diskUsage } from './usage.js';
export { createWorkDisk, growWorkDisk } from './work-disk.js';
