/* Keeping a session's log under SESSION_LOG_CAP while the session writes it.
 * The session appends (O_APPEND), so after the tail is copied to the front and
 * the file truncated, its next write lands at the new end. This is how banger's
 * host caps a VM's console log. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

/* Copies [from, to) of fd to offset dst. 0 or -1. */
static int copy_range(int fd, off_t from, off_t to, off_t dst, char *chunk, size_t size) {
  while (from < to) {
    size_t want = (size_t)(to - from) < size ? (size_t)(to - from) : size;
    ssize_t r = pread(fd, chunk, want, from);
    if (r <= 0) return -1;
    if (pwrite(fd, chunk, (size_t)r, dst) != r) return -1;
    from += r;
    dst += r;
  }
  return 0;
}

unsigned long long session_cap_log(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || (unsigned long long)st.st_size <= SESSION_LOG_CAP) return 0;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  static char chunk[1 << 16];
  off_t start = st.st_size - (off_t)SESSION_LOG_KEEP, copied = st.st_size;
  int ok = copy_range(fd, start, copied, 0, chunk, sizeof chunk);
  /* The session may have written more meanwhile: take that along too. */
  while (ok == 0 && fstat(fd, &st) == 0 && st.st_size > copied) {
    ok = copy_range(fd, copied, st.st_size, copied - start, chunk, sizeof chunk);
    copied = st.st_size;
  }
  unsigned long long cut = 0;
  if (ok == 0 && ftruncate(fd, copied - start) == 0) cut = (unsigned long long)start;
  close(fd);
  return cut;
}
