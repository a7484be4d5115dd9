#include "devnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

int devnode_open(const char *dev, const char *sysfs_dev, int flags) {
  int fd = open(dev, flags);
  if (fd >= 0 || errno != ENOENT) return fd;
  FILE *f = fopen(sysfs_dev, "re");
  unsigned major, minor;
  int got = f ? fscanf(f, "%u:%u", &major, &minor) : 0;
  if (f) fclose(f);
  if (got != 2) {
    errno = ENOENT;
    return -1;
  }
  if (mknod(dev, S_IFCHR | 0600, makedev(major, minor)) != 0 && errno != EEXIST) return -1;
  return open(dev, flags);
}
