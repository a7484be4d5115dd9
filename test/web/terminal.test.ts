import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { registerBusyboxImage } from '../support/busybox-image.js';
import { createVmHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';
import { launchInNetns } from './support/browser.js';

/**
 * The browser terminal end to end: headless Chromium logged into a real
 * daemon, a real guest booted through the Firecracker stand-in (a busybox
 * root filesystem: no systemd, no sshd, seconds to boot), the shell opened
 * by its guest agent. The page types `hostname` and reads the VM's name
 * back from xterm's rows, a narrower window reaches the guest as a new
 * terminal size (`stty size`), and closing the page ends the guest's shell.
 */

const VM = 'term-box';
let h: VmHarness;
let browser: Browser | undefined;
let page: Page;
let shots: string;
const pageErrors: string[] = [];

/** The applets the test's shell uses, as /bin links (an OCI busybox image has them too). */
const APPLETS = ['sh', 'hostname', 'stty', 'sleep', 'cat', 'ls', 'ps', 'test', 'echo'];

/** Polls `vm show` (which asks the agent) until the guest agent answers. */
async function agentAnswers(name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const vm = json<VmView>(await mustRun(h, ['vm', 'show', name, '--json']));
    if (vm.agent?.answering) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the guest agent of ${name} never answered`);
}

beforeAll(async () => {
  h = await createVmHarness({
    label: 'term',
    config: ['web_listen_addr = "127.0.0.1:7777"', '[vm_defaults]', 'memory_mib = 256', 'vcpu = 1'],
  });
  await registerBusyboxImage(h, 'bb', APPLETS);
  await mustRun(h, ['vm', 'create', '--name', VM, '--image', 'bb', '--no-wait'], 300_000);
  await agentAnswers(VM);

  shots = mkdtempSync(join(tmpdir(), 'banger-web-terminal-shots-'));
  const browserDir = join(h.root, 'browser');
  mkdirSync(browserDir);
  browser = await launchInNetns(h.netns.name, browserDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await h?.cleanup();
});

/** The terminal's rows as text (xterm's DOM renderer: one div per row, spaces as U+00A0). */
async function screen(): Promise<string[]> {
  const rows = await page.locator('.xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd());
}

/** Waits for a row that matches `re` (or is exactly that text), failing with the screen as it was. */
async function waitForRow(re: RegExp | string, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < deadline) {
    rows = await screen();
    for (const row of rows) {
      const m =
        typeof re === 'string'
          ? row === re
            ? Object.assign([row], { index: 0, input: row })
            : null
          : re.exec(row);
      if (m) return m as RegExpExecArray;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no terminal row matches ${re}; the screen:\n${rows.join('\n')}`);
}

/** Types a command line into the terminal (xterm's hidden textarea has the focus). */
async function typeLine(text: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

async function screenshot(name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}

/** Whether a process is alive in the guest, asked through the agent (there is no sshd). */
async function aliveInGuest(pid: string, n: number): Promise<boolean> {
  const session = `check${n}`;
  await mustRun(h, [
    'vm',
    'session',
    'start',
    VM,
    '--name',
    session,
    '--',
    'sh',
    '-c',
    `test -d /proc/${pid} && echo alive || echo gone`,
  ]);
  for (let i = 0; i < 50; i++) {
    const out = (await mustRun(h, ['vm', 'session', 'logs', VM, session])).stdout.trim();
    if (out) return out === 'alive';
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`session ${session} printed nothing`);
}

describe('the browser terminal', () => {
  it('opens a shell in the guest from the VM page; hostname prints the VM name', {
    timeout: 120_000,
  }, async () => {
    const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
    await page.goto(url);
    await page.goto(`http://127.0.0.1:7777/#/vms/${VM}`);
    const link = page.getByRole('link', { name: 'Terminal', exact: true });
    await link.focus(); // reachable from the keyboard
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe(`#/vms/${VM}/terminal`);
    await page.getByText('connected', { exact: true }).waitFor({ timeout: 20_000 });

    await typeLine('hostname');
    const started = Date.now();
    await waitForRow(new RegExp(`^${VM}$`));
    console.log(`hostname answered in ${Date.now() - started} ms`);
    await screenshot('terminal-1280');
  });

  it('follows the window size: the guest sees the new size', { timeout: 60_000 }, async () => {
    await typeLine('stty size');
    const before = await waitForRow(/^(\d+) (\d+)$/);
    const box = page.locator('.terminal-box');
    const wide = { rows: await box.getAttribute('data-rows'), cols: await box.getAttribute('data-cols') };
    expect(`${before[1]} ${before[2]}`).toBe(`${wide.rows} ${wide.cols}`);

    await page.setViewportSize({ width: 420, height: 700 });
    // Polled from here: the page's CSP forbids the string evaluation waitForFunction would use.
    await expect.poll(() => box.getAttribute('data-cols'), { timeout: 5000 }).not.toBe(wide.cols);
    const narrow = { rows: await box.getAttribute('data-rows'), cols: await box.getAttribute('data-cols') };
    expect(Number(narrow.cols)).toBeLessThan(Number(wide.cols));
    await typeLine('clear; stty size');
    await waitForRow(new RegExp(`^${narrow.rows} ${narrow.cols}$`));
    await screenshot('terminal-420');
  });

  it('ends the guest shell when the page closes', { timeout: 60_000 }, async () => {
    await typeLine('echo "shell pid $$"');
    const pid = (await waitForRow(/^shell pid (\d+)$/))[1]!;
    expect(await aliveInGuest(pid, 1)).toBe(true);
    await page.close();
    const deadline = Date.now() + 15_000;
    let n = 2;
    while (await aliveInGuest(pid, n++)) {
      if (Date.now() > deadline) throw new Error(`the guest shell ${pid} still runs after the page closed`);
    }
    expect(pageErrors).toEqual([]);
  });

  it('says in one line, in the terminal, that a stopped VM has no shell to offer', {
    timeout: 120_000,
  }, async () => {
    await mustRun(h, ['vm', 'stop', VM], 90_000);
    page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const { url } = json<{ url: string }>(await mustRun(h, ['web', '--json']));
    await page.goto(url);
    await page.goto(`http://127.0.0.1:7777/#/vms/${VM}/terminal`);
    const alert = page.getByRole('alert').filter({ hasText: 'is not running' });
    await alert.waitFor({ timeout: 20_000 });
    const line = `VM ${VM} is not running; start it with \`banger vm start ${VM}\``;
    expect(await alert.textContent()).toBe(`error: ${line}`);
    await waitForRow(line);
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await screenshot('terminal-stopped');
  });
});
