export type { Ext4FileEntry } from './ext4-entries.js';
export { planWorkDiskFiles } from './plan-files.js';
export { createSystemDisk, OVERLAY_UPPER_DIR } from './system-disk.js';
export { diskUsage } from './usage.js';
export { createWorkDisk, growWorkDisk } from './work-disk.js';
export { WorkDiskTemplates } from './work-templates.js';
export { writeFilesIntoExt4 } from './write-files.js';
