/* Device nodes without udev. */
#ifndef BANGER_AGENT_DEVNODE_H
#define BANGER_AGENT_DEVNODE_H

/* Opens dev (a /dev path) with flags. If it does not exist (no udev, or a /dev
 * without devtmpfs) creates it as a character device from the "MAJOR:MINOR"
 * that the sysfs file sysfs_dev holds, then opens it. Returns fd or -1 (errno). */
int devnode_open(const char *dev, const char *sysfs_dev, int flags);

#endif
