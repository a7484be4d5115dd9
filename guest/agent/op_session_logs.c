/* session_logs: a piece of a session's stdout or stderr, by absolute offset
 * (bytes cut from the log's front by the cap still count). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "ops.h"
#include "session.h"

void op_session_logs(const struct json_obj *req, struct json_writer *w) {
  struct session_info si;
  if (session_req_load(req, w, &si) != 0) return;
  const struct json_val *sv = json_get(req, "stream");
  int stream = -1;
  if (!sv) stream = SESSION_STDOUT;
  else if (sv->type == JSON_STRING && strcmp(sv->str.s, "stdout") == 0) stream = SESSION_STDOUT;
  else if (sv->type == JSON_STRING && strcmp(sv->str.s, "stderr") == 0) stream = SESSION_STDERR;
  unsigned long long offset, max;
  if (stream < 0) {
    session_fail(w, "stream must be \"stdout\" or \"stderr\"");
  } else if (session_req_uint(req, w, "offset", 0, 1ull << 53, &offset) == 0 &&
             session_req_uint(req, w, "max", SESSION_LOGS_MAX, 1ull << 53, &max) == 0) {
    unsigned long long dropped = si.m.dropped[stream];
    if (offset < dropped) offset = dropped;
    if (max > SESSION_LOGS_MAX) max = SESSION_LOGS_MAX;
    char path[PATH_MAX];
    session_path(path, si.m.name, session_stream_names[stream]);
    char *data = malloc(max ? max : 1);
    if (!data) abort();
    ssize_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      while ((size_t)got < max) {
        ssize_t r = pread(fd, data + got, max - (size_t)got, (off_t)(offset - dropped) + got);
        if (r <= 0) break;
        got += r;
      }
      close(fd);
    }
    jw_bool(w, "ok", true);
    jw_key(w, "data");
    buf_putc(w->out, '"');
    base64_encode(w->out, data, (size_t)got);
    buf_putc(w->out, '"');
    jw_int(w, "offset", (long long)offset);
    jw_int(w, "next", (long long)(offset + (unsigned long long)got));
    jw_bool(w, "running", si.running);
    free(data);
  }
  session_info_free(&si);
}
