import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';
import { launchInNetns } from './support/browser.js';

/**
 * A VM page's listening ports against a real guest (the golden image, with
 * sshd and `ss`) booted through the Firecracker stand-in: the page asks, the
 * daemon reads them over SSH, and the table matches `banger vm ports --json`.
 * The test's network namespace has no DNS routing for `.vm`, so the page
 * shows addresses, not links, and says why.
 */

const VM = 'porty';
let h: VmHarness;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  h = await createVmHarness({
    label: 'ports',
    config: ['web_listen_addr = "127.0.0.1:7777"', '[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
  await mustRun(h, ['vm', 'create', '--name', VM, '--image', 'golden'], 300_000);
  const browserDir = join(h.root, 'browser');
  mkdirSync(browserDir);
  browser = await launchInNetns(h.netns.name, browserDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await h?.cleanup();
});

describe('a VM page’s listening ports', () => {
  it('lists what vm ports lists, sshd on 22 among them, as addresses without DNS routing', {
    timeout: 120_000,
  }, async () => {
    const cli = json<{ proto: string; port: number; url: string; reachable: boolean }[]>(
      await mustRun(h, ['vm', 'ports', VM, '--json']),
    );
    expect(cli.some((p) => p.port === 22 && p.proto === 'tcp')).toBe(true);

    const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
    await page.goto(url);
    await page.goto(`http://127.0.0.1:7777/#/vms/${VM}`);
    await page.getByRole('button', { name: 'Show listening ports' }).click();
    const table = page.locator('table[data-table="ports"]');
    await table.waitFor({ timeout: 30_000 });
    const ports = (await table.locator('tbody th').allTextContents()).map(Number);
    expect(ports).toEqual(cli.map((p) => p.port));
    const ssh = table.locator('tr[data-port="22"]').first();
    expect(await ssh.locator('td').allTextContents()).toEqual([
      'tcp',
      expect.stringMatching(/^(0\.0\.0\.0|::|\*)$/),
      expect.stringMatching(/^sshd\S* \(\d+\)/),
      `${VM}.vm:22`,
    ]);
    expect(await ssh.locator('a').count()).toBe(0);
    await page.getByText('names do not resolve on this host yet').waitFor();
    const shots = mkdtempSync(join(tmpdir(), 'banger-web-ports-shots-'));
    await page.screenshot({ path: join(shots, 'ports.png'), fullPage: true });
    console.log(`screenshot: ${join(shots, 'ports.png')}`);
    expect(pageErrors).toEqual([]);
  });
});
