#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void agent_log(const char *fmt, ...) {
  int saved = errno; /* callers often log then inspect errno */
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "banger-agent: %s\n", line);
  fflush(stderr);
  errno = saved;
}
