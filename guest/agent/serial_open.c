#include "serial_open.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "devnode.h"

#define PORTS_DIR "/sys/class/virtio-ports"

static int connect_unix(const char *path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static int open_path(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) return connect_unix(path);
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct termios t;
  /* A terminal's line discipline would mangle binary frames. */
  if (fd >= 0 && tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

/* Puts in dir the entry of PORTS_DIR whose name file holds SERIAL_PORT_NAME. */
static int find_port(char *dir, size_t dir_len) {
  DIR *d = opendir(PORTS_DIR);
  if (!d) return -1;
  int found = -1;
  struct dirent *e;
  while (found != 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) >= dir_len) continue;
    char path[512], name[64] = "";
    snprintf(path, sizeof path, PORTS_DIR "/%s/name", e->d_name);
    FILE *f = fopen(path, "re");
    if (!f) continue;
    if (!fgets(name, sizeof name, f)) name[0] = '\0';
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
    if (strcmp(name, SERIAL_PORT_NAME) == 0) {
      snprintf(dir, dir_len, "%s", e->d_name);
      found = 0;
    }
  }
  closedir(d);
  return found;
}

int serial_open(const char *path, char *name, size_t name_len) {
  if (path) {
    snprintf(name, name_len, "%s", path);
    return open_path(path);
  }
  char dir[256];
  if (find_port(dir, sizeof dir) != 0) {
    snprintf(name, name_len, "virtio-serial port %s", SERIAL_PORT_NAME);
    errno = ENOENT;
    return -1;
  }
  char dev[300], sys[400];
  snprintf(dev, sizeof dev, "/dev/%s", dir);
  snprintf(sys, sizeof sys, PORTS_DIR "/%s/dev", dir);
  snprintf(name, name_len, "%s", dev);
  return devnode_open(dev, sys, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
}
