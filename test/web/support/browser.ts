import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (.ci/run installs it); Playwright's own browser downloads are not used. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium inside network namespace `netns`, where the test's daemon
 * and its web listener live (their 127.0.0.1 is the namespace's own).
 * Playwright starts the browser through a wrapper that enters the namespace;
 * `exec` keeps the pipe Playwright talks to it over.
 */
export async function launchInNetns(netns: string, dir: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the web UI tests need ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`);
  }
  const wrapper = join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${netns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  // The tests run as root, where Chromium's own sandbox cannot start.
  return chromium.launch({ executablePath: wrapper, args: ['--no-sandbox'], timeout: 60_000 });
}
