import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKernelSet } from '../images/support.js';
import { BASE_LAYER, SECOND_LAYER } from '../oci/fixtures.js';
import { layerOf, writeLayout } from '../oci/helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from '../oci/helpers/registry.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';
import { launchInNetns } from './support/browser.js';

/**
 * The web UI in a real browser (headless Chromium) against a real daemon with
 * no-guest VMs, logged in through the one-time link `banger web` prints: the
 * live VM list, a change made from the CLI showing within two seconds, create
 * and delete from the page, an image pull's streamed progress, and the
 * layout at a desktop and a phone width. Screenshots go to a directory that
 * is kept (its path is logged) so a person can look at them.
 */

let h: VmHarness;
let registry: TestRegistry | undefined;
let browser: Browser | undefined;
let page: Page;
let shots: string;
/** The VM the page deletes. */
let gammaId: string | undefined;
/** What the page reported as errors (a CSP violation, an uncaught exception): there should be none. */
const pageErrors: string[] = [];

const IMAGE_REF = () => `${registry?.host}/team/tree:v1`;

beforeAll(async () => {
  // The namespace is the daemon's own: any port is free there.
  h = await createNoGuestHarness('web', ['web_listen_addr = "127.0.0.1:7777"']);
  for (const name of ['alpha', 'beta']) {
    await mustRun(h, ['vm', 'create', '--name', name, '--image', 'test-image', '--no-wait']);
  }
  // A small OCI image in a registry in the same namespace, and the default kernel set in
  // place, so a pull has real stages and fetches nothing from outside.
  registry = await startRegistry({ netns: h.netns.name });
  const layout = join(h.root, 'layout');
  await writeLayout(layout, 'v1', [{ layers: [await layerOf(BASE_LAYER), await layerOf(SECOND_LAYER)] }]);
  await pushLayout(layout, 'v1', IMAGE_REF(), h.netns.name);
  await makeKernelSet(join(h.stateDir, 'kernels', 'debian-bookworm-cloud'));

  shots = mkdtempSync(join(tmpdir(), 'banger-web-ui-shots-'));
  const browserDir = join(h.root, 'browser');
  mkdirSync(browserDir);
  browser = await launchInNetns(h.netns.name, browserDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) pageErrors.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await registry?.stop();
  await h?.cleanup();
});

/** Follows a link of the main navigation. */
const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

/** The state cell of VM `name`'s row in whatever VM table the page shows. */
const stateCell = (name: string) => page.locator(`tr[data-vm="${name}"] td[data-col="state"]`);

async function screenshot(name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

describe('the web UI', () => {
  it('logs in through the one-time link and lists the VMs live, under the daemon’s CSP', async () => {
    const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
    const response = await page.goto(url);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");

    await stateCell('alpha').filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });
    await stateCell('beta').filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });
    await expectText(page.locator('h1'), 'VMs (2)');
    // The login's session secret went from the URL's fragment to sessionStorage: none left in the URL.
    expect(page.url()).not.toContain('session=');
    expect(new URL(page.url()).hash).toBe('');
    // The cookie alone does not open the API (any server on 127.0.0.1 may be sent it); with the secret it does.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'banger_web')?.value;
    const secret = await page.evaluate<string | null>('sessionStorage.getItem("banger-session")');
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await apiStatus({ cookie: `banger_web=${cookie}` })).toBe(401);
    expect(await apiStatus({ cookie: `banger_web=${cookie}`, authorization: `Bearer ${secret}` })).toBe(200);
    const alpha = page.locator('tr[data-vm="alpha"]');
    expect(await alpha.locator('th[scope="row"]').textContent()).toBe('alpha');
    const cells = await alpha.locator('td').allTextContents();
    expect(cells).toEqual([
      'running',
      expect.stringMatching(/^172\.16\.0\.\d+$/),
      'alpha.vm',
      'test-image',
      '1 / 256M / 256M',
      expect.stringMatching(/^\d+s$/),
      expect.stringMatching(/^(–|\d+(\.\d)?%)$/),
      expect.stringMatching(/^(–|\d+(\.\d)?[KMG])$/),
    ]);
    // CPU and RSS come from the stats, sampled every two seconds (CPU needs two samples).
    await alpha.locator('td').nth(7).filter({ hasText: /\d/ }).waitFor({ timeout: 5000 });
    await alpha.locator('td').nth(6).filter({ hasText: /\d/ }).waitFor({ timeout: 7000 });
    await screenshot('vm-list');

    // A change made from another process reaches the page within two seconds.
    await mustRun(h, ['vm', 'stop', 'alpha']);
    const stoppedAt = Date.now();
    await stateCell('alpha').filter({ hasText: 'stopped' }).waitFor({ timeout: 2000 });
    console.log(`stop from the CLI shown ${Date.now() - stoppedAt} ms after the command returned`);
  });

  it('creates a VM from the form, with its progress streamed into the page, then shows its row', async () => {
    await nav('Create');
    await expectText(page.locator('h1'), 'Create a VM');
    await page.getByLabel('Name').fill('gamma');
    expect(await page.getByLabel('Image').inputValue()).toBe('test-image');
    await page.getByLabel('Wait for SSH').uncheck(); // there is no guest to answer
    await screenshot('create-form');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const progress = page.getByRole('region', { name: 'Create progress' });
    await progress.getByText('created gamma').waitFor({ timeout: 30_000 });
    const lines = await progress.locator('li').allTextContents();
    expect(lines[0]).toMatch(/^spec: 1 vCPU \([^)]+\), 256 MiB \(vm_defaults\), 256M disk \(vm_defaults\)/);
    expect(lines.filter((l) => l.startsWith('→ ')).length).toBeGreaterThanOrEqual(2);
    await stateCell('gamma').filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });

    await nav('VMs');
    await stateCell('gamma').filter({ hasText: 'running' }).waitFor({ timeout: 5000 });
    await expectText(page.locator('h1'), 'VMs (3)');
  });

  it('shows a VM’s details, stats and console, and deletes it only after the dialog says so', async () => {
    await page.getByRole('link', { name: 'gamma' }).click();
    await expectText(page.locator('h1'), 'gamma');
    expect(new URL(page.url()).hash).toBe('#/vms/gamma');
    const usage = page.getByRole('region', { name: 'Usage' });
    await usage.getByText('RSS').waitFor({ timeout: 5000 });
    await usage.getByRole('table', { name: 'Disks' }).waitFor({ timeout: 5000 });
    await page.getByRole('region', { name: 'Console' }).locator('pre').waitFor();
    await screenshot('vm-detail');

    // Delete asks first; Cancel keeps the VM.
    await page.getByRole('button', { name: 'Delete…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete VM gamma?' });
    await dialog.waitFor({ timeout: 2000 });
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await screenshot('delete-dialog');
    // Escape is Cancel, and the focus goes back to the button that opened the dialog.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 2000 });
    await page.waitForFunction('document.activeElement?.textContent === "Delete…"', undefined, {
      timeout: 2000,
      polling: 50,
    });
    const listed = json<{ id: string; name: string }[]>(await mustRun(h, ['vm', 'list', '--json']));
    gammaId = listed.find((v) => v.name === 'gamma')?.id;
    expect(gammaId).toBeDefined();

    await page.getByRole('button', { name: 'Delete…', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('tr[data-vm="beta"]').waitFor({ timeout: 30_000 }); // back on the list
    await page.locator('tr[data-vm="gamma"]').waitFor({ state: 'detached', timeout: 5000 });
    const names = json<{ name: string }[]>(await mustRun(h, ['vm', 'list', '--json'])).map((v) => v.name);
    expect(names.sort()).toEqual(['alpha', 'beta']);
  });

  it('streams an image pull’s progress into the page before it is done', async () => {
    await nav('Images');
    await page
      .getByRole('table', { name: 'Images' })
      .getByRole('rowheader', { name: 'test-image' })
      .waitFor({ timeout: 5000 });
    await page.getByLabel('Name or reference').fill(IMAGE_REF());
    await page.getByRole('button', { name: 'Pull', exact: true }).click();

    // Sampled while the pull runs: the lines shown before the outcome appears.
    const progress = page.getByRole('region', { name: 'Image pull progress' });
    let linesBeforeDone = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [lines, outcome] = await Promise.all([
        progress.locator('li').count(),
        progress.locator('.outcome').count(),
      ]);
      if (outcome > 0) break;
      linesBeforeDone = Math.max(linesBeforeDone, lines);
      await new Promise((r) => setTimeout(r, 20));
    }
    await expectText(progress.locator('.outcome'), /^image tree-v1 pulled \(\d+(\.\d)?[KM]\)$/);
    console.log(`image pull: ${linesBeforeDone} progress lines on the page before it finished`);
    expect(linesBeforeDone).toBeGreaterThanOrEqual(2);
    expect((await progress.locator('li').allTextContents())[0]).toBe(`→ resolving ${IMAGE_REF()}`);
    await page
      .getByRole('table', { name: 'Images' })
      .getByRole('rowheader', { name: 'tree-v1' })
      .waitFor({ timeout: 5000 });
    await screenshot('images');
  });

  it('shows the daemon’s status and the doctor’s checks', async () => {
    const status = json<{ version: string; pid: number }>(await mustRun(h, ['daemon', 'status', '--json']));
    await nav('Daemon');
    const statusRegion = page.getByRole('region', { name: 'Status' });
    await statusRegion.getByText(status.version, { exact: true }).waitFor({ timeout: 5000 });
    await statusRegion.getByText(String(status.pid), { exact: true }).waitFor();
    const checks = page.getByRole('table', { name: 'Doctor checks' });
    await checks.waitFor({ timeout: 60_000 });
    expect(await checks.locator('tbody tr').count()).toBeGreaterThan(3);
    await screenshot('daemon');
  });

  it('fits a phone-width window and reported no page errors', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await nav('VMs');
    await stateCell('beta').waitFor();
    // Nothing wider than the window but the table's own scroller.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBe(0);
    await screenshot('vm-list-420px');
    await page.getByRole('link', { name: 'alpha' }).click();
    await page.getByRole('region', { name: 'Usage' }).getByRole('table', { name: 'Disks' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
    await screenshot('vm-detail-420px');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('vm-detail-420px-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // The detail page polls the VM's stats and console until the delete's event reaches it: a
    // poll in between finds the VM gone (404). That is the only failure expected.
    const deletedVm = `/v1/vms/${gammaId}/`;
    expect(pageErrors.filter((e) => !e.includes(deletedVm))).toEqual([]);
  });

  it('starts a VM from its page, cancels the wait for SSH (there is no guest), and stops it', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(new URL('/#/vms/alpha', page.url()).href);
    await expectText(page.locator('h1'), 'alpha');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const progress = page.getByRole('region', { name: 'Progress of the last action' });
    await progress.getByText(/^→ waiting for SSH on /).waitFor({ timeout: 30_000 });
    await page.locator('.page-head .state').filter({ hasText: 'running' }).waitFor({ timeout: 5000 });
    await progress.getByRole('button', { name: 'Cancel' }).click();
    await progress
      .locator('.outcome')
      .filter({ hasText: /^cancelled$/ })
      .waitFor({ timeout: 5000 });
    // Cancelling the wait leaves the VM running; Stop is there again.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await progress.getByText('stopped alpha').waitFor({ timeout: 30_000 });
    await page.locator('.page-head .state').filter({ hasText: 'stopped' }).waitFor({ timeout: 5000 });
  });

  it('opens a running VM’s terminal from its page; an agent that does not answer is one line there', async () => {
    // Only this test's: the delete test before may leave a 404 of the deleted VM's last stats poll.
    const errorsBefore = pageErrors.length;
    await page.goto(new URL('/#/vms/beta', page.url()).href);
    await page.getByRole('link', { name: 'Terminal', exact: true }).click();
    await expectText(page.locator('h1'), 'Terminal: beta');
    // No guest here, so no agent: the daemon says so, once, in the terminal and as an alert.
    const alert = page.getByRole('alert').filter({ hasText: 'is not answering' });
    await alert.waitFor({ timeout: 15_000 });
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(
      /^error: the guest agent of VM beta is not answering \(.+\); the terminal needs it: see `banger vm show beta`$/,
    );
    expect(text).not.toMatch(/\n| {4}at /);
    const rows = (await page.locator('.xterm-rows > div').allTextContents()).join('\n');
    expect(rows).toContain('the guest agent of VM beta is not answering');
    await screenshot('terminal-no-agent');
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
  });

  it('says when the daemon goes away, asks for a new login once it is back (secrets die with it), and follows it after that', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await nav('VMs');
    await stateCell('beta').filter({ hasText: 'running' }).waitFor();
    const banner = page.getByRole('alert').filter({ hasText: 'daemon unavailable, reconnecting' });
    await mustRun(h, ['daemon', 'stop']);
    await banner.waitFor({ timeout: 5000 });
    expect(await stateCell('beta').textContent()).toBe('running'); // the last rows stay
    // Started again: same cookie token, but the page's session secret lived in the old daemon's
    // memory only. The API answers 401 and the page says to log in again.
    await mustRun(h, ['daemon', 'status']);
    const expired = page.getByRole('alert').filter({ hasText: 'session expired: run `banger web` again' });
    await expired.waitFor({ timeout: 15_000 });

    // A new link brings the page back, live.
    const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
    await page.goto(url);
    await stateCell('beta').filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });
    expect(page.url()).not.toContain('session=');
    await mustRun(h, ['vm', 'stop', 'beta']);
    await stateCell('beta').filter({ hasText: 'stopped' }).waitFor({ timeout: 2000 });

    // The cookie without the secret (another tab's storage, or none): the page asks for a login.
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await expired.waitFor({ timeout: 15_000 });
    // Without the cookie not even the page loads: the daemon's own page says what to run.
    await page.context().clearCookies();
    const refused = await page.reload();
    expect(refused?.status()).toBe(401);
    expect(await page.locator('body').textContent()).toContain('banger web');
  });
});

/** The status of `GET /v1/vms` sent with `headers` by fetch from inside the daemon's namespace. */
async function apiStatus(headers: Record<string, string>): Promise<number> {
  const script = `fetch("http://127.0.0.1:7777/v1/vms", { headers: ${JSON.stringify(headers)} }).then((r) => console.log(r.status))`;
  const r = await h.netns.sh(`${process.execPath} -e '${script}'`);
  return Number(r.stdout.trim());
}

/** Waits up to five seconds for `locator`'s text to be (or match) `expected`, then asserts it. */
async function expectText(
  locator: ReturnType<Page['locator']>,
  expected: string | RegExp,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text: string | null = null;
  while (Date.now() < deadline) {
    text = await locator.first().textContent({ timeout: timeoutMs });
    if (typeof expected === 'string' ? text === expected : expected.test(text ?? '')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (typeof expected === 'string') expect(text).toBe(expected);
  else expect(text).toMatch(expected);
}
