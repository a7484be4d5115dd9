/* ping: proves the agent answers, and reports the guest's uptime and load. */
#include <stdio.h>
#include <sys/sysinfo.h>

#include "agent.h"
#include "ops.h"

/* Reads up to n leading numbers of a /proc file; returns how many it got. */
static int read_numbers(const char *path, double *v, int n) {
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int got = 0;
  while (got < n && fscanf(f, "%lf", &v[got]) == 1) got++;
  fclose(f);
  return got;
}

void op_ping(const struct json_obj *req, struct json_writer *w) {
  (void)req;
  double uptime, load[3];
  /* /proc may be out of reach (not mounted yet, or left behind by a switch_root):
   * sysinfo(2) has the same figures, more coarsely. */
  struct sysinfo si;
  int have_si = sysinfo(&si) == 0;
  if (read_numbers("/proc/uptime", &uptime, 1) != 1) uptime = have_si ? (double)si.uptime : 0;
  if (read_numbers("/proc/loadavg", load, 3) != 3) {
    for (int i = 0; i < 3; i++) load[i] = have_si ? (double)si.loads[i] / (1 << SI_LOAD_SHIFT) : 0;
  }
  jw_bool(w, "ok", true);
  jw_cstring(w, "agent", AGENT_NAME);
  jw_int(w, "protocol", AGENT_PROTOCOL);
  jw_key(w, "uptime_s");
  jw_value_double(w, uptime, 2);
  jw_double_array(w, "load", load, 3, 2);
}
