import { describe, expect, it } from 'vitest';
import { buildFailureReason } from './failure-reason.js';

// What mmdebstrap 1.3.5 printed for a build in a network namespace without a route.
const OFFLINE = `I: running apt-get update...
Ign:1 http://deb.debian.org/debian bookworm InRelease
Err:1 http://deb.debian.org/debian bookworm InRelease
  Temporary failure resolving 'deb.debian.org'
Reading package lists...
E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'
E: Some index files failed to download. They have been ignored, or old ones used instead.
E: apt-get update --error-on=any -oAPT::Status-Fd=<$fd> -oDpkg::Use-Pty=false failed
I: main() received signal PIPE: waiting for setup...
E: mmdebstrap failed to run
`;

describe('buildFailureReason', () => {
  it('names the cause, not mmdebstrap’s closing lines', () => {
    expect(buildFailureReason(OFFLINE)).toBe(
      "Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease Temporary failure resolving 'deb.debian.org'",
    );
  });

  it('takes a missing package over the generic apt-get line', () => {
    const out =
      'E: Unable to locate package nosuch\nE: apt-get --yes install nosuch failed\nE: mmdebstrap failed to run\n';
    expect(buildFailureReason(out)).toBe('Unable to locate package nosuch');
  });

  it('falls back to the first error, then to the last line, then says there was no output', () => {
    expect(buildFailureReason('E: mmdebstrap failed to run\n')).toBe('mmdebstrap failed to run');
    expect(buildFailureReason('something odd\nsetpriv: killed\n\n')).toBe('setpriv: killed');
    expect(buildFailureReason('  \n')).toBe('no output');
  });
});
