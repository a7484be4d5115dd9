import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageDetail, KernelInfo } from '../../src/api/images.js';
import { makeKernelSet } from '../images/support.js';
import {
  createNoGuestHarness,
  json,
  mustRun,
  registerPlaceholderImage,
  type VmHarness,
} from '../support/vm-harness.js';
import { launchInNetns } from './support/browser.js';

/**
 * The image and kernel pages in a real browser (headless Chromium) against a
 * real daemon with no-guest VMs: an image's page opened from the list shows
 * what `banger image show` does (source, files, kernel, the VMs using it), a
 * delete the daemon refuses is one line there, a delete it allows goes back
 * to the list, a kernel's page shows its version and images, and an unknown
 * name is one line with a link back. Screenshots go to a kept directory.
 */

let h: VmHarness;
let browser: Browser | undefined;
let page: Page;
let shots: string;
/** What the page reported as errors; only the refusals this test provokes are expected. */
const pageErrors: string[] = [];

const KERNEL = 'test-kernel';
/** An image on the kernel set, with a VM made from it. */
const IMAGE = 'set-image';
const VM = 'user1';

beforeAll(async () => {
  h = await createNoGuestHarness('web-images', ['web_listen_addr = "127.0.0.1:7777"']);
  await makeKernelSet(join(h.stateDir, 'kernels', KERNEL));
  await mustRun(h, [
    'image',
    'register',
    IMAGE,
    '--rootfs',
    join(h.root, 'artifacts-test-image', 'rootfs.ext4'),
    '--kernel-ref',
    KERNEL,
  ]);
  await registerPlaceholderImage(h, 'spare');
  await mustRun(h, ['vm', 'create', '--name', VM, '--image', IMAGE, '--no-wait']);

  shots = mkdtempSync(join(tmpdir(), 'banger-web-images-shots-'));
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
  const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
  await page.goto(url);
});

afterAll(async () => {
  await browser?.close();
  await h?.cleanup();
});

async function screenshot(name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** The value of field `label` in the details list of `region`. */
const field = (region: Locator, label: string) =>
  region
    .locator('.field')
    .filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
    .locator('dd');

const heading = () => page.locator('h1');

describe('image and kernel pages', () => {
  it('opens an image’s page from the list: source, files, kernel and the VMs using it', async () => {
    const shown = json<ImageDetail>(await mustRun(h, ['image', 'show', IMAGE, '--json']));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    const images = page.getByRole('table', { name: 'Images' });
    await images.getByRole('link', { name: IMAGE, exact: true }).click();
    await expectText(heading(), IMAGE);
    expect(new URL(page.url()).hash).toBe(`#/images/${IMAGE}`);

    const details = page.getByRole('region', { name: 'Details' });
    await expectText(field(details, 'Source'), 'registered files');
    expect(await field(details, 'Files').textContent()).toBe('registered (stay where they are)');
    expect(await field(details, 'Rootfs').textContent()).toBe(shown.rootfs);
    expect(await field(details, 'Work seed').textContent()).toBe('–');
    expect(await field(details, 'Kernel').textContent()).toBe(`set ${KERNEL}`);
    expect(await field(details, 'Kernel version').textContent()).toBe(shown.kernelVersion);
    expect(shown.kernelVersion).not.toBe('');
    const usedBy = page.getByRole('region', { name: 'Used by' });
    expect(await usedBy.getByRole('link').allTextContents()).toEqual([VM]);
    await screenshot('image-detail');

    // The VM is a link to its page, and back again by the browser's history.
    await usedBy.getByRole('link', { name: VM }).click();
    await expectText(heading(), VM);
    expect(new URL(page.url()).hash).toBe(`#/vms/${VM}`);
    await page.goBack();
    await expectText(heading(), IMAGE);
  });

  it('shows the daemon’s refusal to delete an image in use as one line, and keeps the page', async () => {
    await page.getByRole('button', { name: `Delete image ${IMAGE}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete image ${IMAGE}?` });
    await dialog.waitFor({ timeout: 2000 });
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    const outcome = page.getByRole('region', { name: 'Image deletion' }).getByRole('alert');
    await expectText(outcome, `error: image ${IMAGE} is used by VM ${VM}; delete it first`);
    expect(await heading().textContent()).toBe(IMAGE);
    const names = json<{ name: string }[]>(await mustRun(h, ['image', 'list', '--json'])).map((i) => i.name);
    expect(names).toContain(IMAGE);
    await screenshot('image-delete-refused');
  });

  it('opens the kernel’s page from the image’s: version, source, the images using it', async () => {
    const shown = json<KernelInfo>(await mustRun(h, ['kernel', 'show', KERNEL, '--json']));
    await page.getByRole('region', { name: 'Details' }).getByRole('link', { name: KERNEL }).click();
    await expectText(heading(), KERNEL);
    expect(new URL(page.url()).hash).toBe(`#/kernels/${KERNEL}`);
    const details = page.getByRole('region', { name: 'Details' });
    await expectText(field(details, 'Version'), shown.version);
    expect(await field(details, 'Source').textContent()).toBe('rootfs');
    expect(await field(details, 'Directory').textContent()).toBe(shown.dir);
    const usedBy = page.getByRole('region', { name: 'Used by' });
    expect(await usedBy.getByRole('link').allTextContents()).toEqual([IMAGE]);
    if (shown.initrdModules.length > 0) {
      const modules = page.getByRole('region', { name: /^Initramfs modules/ });
      expect(await modules.locator('li').allTextContents()).toEqual(shown.initrdModules);
    }
    await screenshot('kernel-detail');

    // A refused kernel delete is one line too: an image uses it.
    await page.getByRole('button', { name: `Delete kernel ${KERNEL}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await expectText(
      page.getByRole('region', { name: 'Kernel deletion' }).getByRole('alert'),
      `error: kernel ${KERNEL} is used by image ${IMAGE}; delete it first`,
    );
  });

  it('deletes an unused image from its page after the dialog, and goes back to the list', async () => {
    await page.goto(new URL('/#/images', page.url()).href);
    await page
      .getByRole('table', { name: 'Images' })
      .getByRole('link', { name: 'spare', exact: true })
      .click();
    await expectText(heading(), 'spare');
    const remove = page.getByRole('button', { name: 'Delete image spare' });
    // Cancel keeps it.
    await remove.click();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 2000 });
    expect(await heading().textContent()).toBe('spare');
    await remove.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await expectText(heading(), 'Images and kernels', 10_000);
    expect(new URL(page.url()).hash).toBe('#/images');
    await page
      .getByRole('table', { name: 'Images' })
      .getByRole('link', { name: IMAGE, exact: true })
      .waitFor();
    expect(
      await page.getByRole('table', { name: 'Images' }).getByRole('link', { name: 'spare' }).count(),
    ).toBe(0);
    const names = json<{ name: string }[]>(await mustRun(h, ['image', 'list', '--json'])).map((i) => i.name);
    expect(names.sort()).toEqual([IMAGE, 'test-image']);
  });

  it('says in one line that an unknown image or kernel does not exist, with a link back', async () => {
    for (const [kind, path] of [
      ['image', 'images'],
      ['kernel', 'kernels'],
    ] as const) {
      await page.goto(new URL(`/#/${path}/no-such-${kind}`, page.url()).href);
      const line = page.locator('main p').filter({ hasText: `There is no ${kind} named` });
      await expectText(line, `There is no ${kind} named no-such-${kind}. Back to images and kernels`);
      expect(await page.locator('main').getByRole('alert').count()).toBe(0);
      await line.getByRole('link', { name: 'Back to images and kernels' }).click();
      await expectText(heading(), 'Images and kernels');
    }
  });

  it('fits a phone-width window, and the page logged only the errors this test provoked', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.goto(new URL(`/#/images/${IMAGE}`, page.url()).href);
    await page
      .getByRole('region', { name: 'Used by' })
      .getByRole('link', { name: VM })
      .waitFor({ timeout: 5000 });
    expect(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
    await screenshot('image-detail-420px');
    await page.goto(new URL(`/#/kernels/${KERNEL}`, page.url()).href);
    await expectText(heading(), KERNEL);
    await page.getByRole('region', { name: 'Details' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
    await screenshot('kernel-detail-420px');

    const expected = [
      `DELETE http://127.0.0.1:7777/v1/images/${IMAGE}`,
      `DELETE http://127.0.0.1:7777/v1/kernels/${KERNEL}`,
      'GET http://127.0.0.1:7777/v1/images/no-such-image',
      'GET http://127.0.0.1:7777/v1/kernels/no-such-kernel',
    ];
    const unexpected = pageErrors.filter(
      (e) => !(e.startsWith('HTTP 4') && expected.some((x) => e.endsWith(x))) && !e.includes('status of 4'),
    );
    expect(unexpected).toEqual([]);
    expect(pageErrors.filter((e) => e.startsWith('HTTP 4')).length).toBeGreaterThanOrEqual(expected.length);
  });
});

/** Waits up to `timeoutMs` for `locator`'s text to be `expected`, then asserts it. */
async function expectText(locator: Locator, expected: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text: string | null = null;
  while (Date.now() < deadline) {
    text = await locator
      .first()
      .textContent({ timeout: Math.max(1, deadline - Date.now()) })
      .catch(() => null);
    if (text === expected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(text).toBe(expected);
}
