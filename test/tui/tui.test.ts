import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANGER } from '../support/sandbox.js';
import {
  createNoGuestHarness,
  json,
  mustRun,
  registerPlaceholderImage,
  type VmHarness,
} from '../support/vm-harness.js';
import { startTmux, type TmuxTerminal } from './tmux.js';

/**
 * `banger tui` in a real terminal (tmux) against a real daemon with no-guest
 * VMs: what it shows, how fast changes made elsewhere appear, its create and
 * delete flows, the daemon going away and coming back, and a clean exit.
 */

const ESC = String.fromCharCode(0x1b);
let h: VmHarness;
const terminals: TmuxTerminal[] = [];

beforeAll(async () => {
  h = await createNoGuestHarness('tui');
  for (const name of ['alpha', 'beta']) {
    await mustRun(h, ['vm', 'create', '--name', name, '--image', 'test-image', '--no-wait']);
  }
});

afterAll(async () => {
  for (const t of terminals) t.kill();
  await h?.cleanup();
});

/** `banger tui` in a tmux pane; the pane's shell records the exit status and the terminal modes around it. */
function openTui(o: { width: number; height: number; env?: Record<string, string>; label: string }) {
  // A tmux server per terminal: a new session on a running server would get that server's environment.
  const dir = join(h.root, o.label);
  mkdirSync(dir);
  const files = {
    status: join(dir, `${o.label}.status`),
    sttyBefore: join(dir, `${o.label}.stty-before`),
    sttyAfter: join(dir, `${o.label}.stty-after`),
  };
  const tui = `ip netns exec ${h.netns.name} ${process.execPath} ${BANGER} tui`;
  const t = startTmux({
    dir,
    // CI=true as on CI: the TUI must draw its live screen anyway (ink alone would only print a last frame).
    env: { ...h.env, CI: 'true', ...o.env },
    width: o.width,
    height: o.height,
    command: `echo shell-before-tui; stty -g > ${files.sttyBefore}; ${tui}; echo $? > ${files.status}; stty -g > ${files.sttyAfter}; echo shell-after-tui`,
  });
  terminals.push(t);
  return { t, files };
}

/** The state shown in the row of VM `name`, if it has one. */
const stateOf = (lines: string[], name: string) =>
  lines.map((l) => new RegExp(`^${name} +(\\w+) `).exec(l)?.[1]).find((s) => s !== undefined);

/** Keys one at a time, as typed: ink reads a burst of bytes as one key. */
async function press(t: TmuxTerminal, ...keys: string[]) {
  for (const key of keys) {
    t.keys([key]);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('banger tui', () => {
  it('shows the VMs live, creates and deletes from the keyboard, survives the daemon restarting, and quits cleanly', async () => {
    const { t, files } = openTui({ width: 100, height: 30, label: 'main' });
    await t.waitFor(
      'both VMs running',
      (l) => stateOf(l, 'alpha') === 'running' && stateOf(l, 'beta') === 'running',
      30_000,
    );
    const screen = t.screen();
    expect(screen[0]).toMatch(/^banger +VMs \(2\) +images +kernels/);
    expect(screen.some((l) => /^NAME +STATE +IP +IMAGE +CPU\/MEM\/DISK +UP +CPU +RSS/.test(l))).toBe(true);
    expect(screen.find((l) => l.startsWith('alpha'))).toMatch(
      /^alpha +running +172\.16\.0\.\d+ +test-image +\d+\/256M\/256M /,
    );
    expect(screen.some((l) => /s start .*x stop .*d delete .*c create/.test(l))).toBe(true);
    // Colour on by default (the state column is green).
    expect(t.screenWithEscapes()).toMatch(new RegExp(`${ESC}\\[32mrunning`));

    // A change made from another process shows within two seconds.
    await mustRun(h, ['vm', 'stop', 'alpha']);
    const seenAfter = await t.waitFor('alpha stopped', (l) => stateOf(l, 'alpha') === 'stopped', 2000);
    console.log(`stop from the CLI on screen ${seenAfter} ms after the command returned`);

    // Create from the form: name typed, the only image, no wait for SSH (no guest here).
    await press(t, 'c');
    await t.waitFor('the create form', (l) => l.some((x) => x.includes('create a VM')), 5000);
    t.keys(['gamma'], true);
    await press(t, 'Up', 'Space', 'Enter'); // Up wraps to "wait for SSH"; space turns it off
    await t.waitFor('gamma running', (l) => stateOf(l, 'gamma') === 'running', 30_000);
    // The row comes from the event stream, the status from the create's answer: either may be first.
    await t.waitFor('the status line', (l) => l.some((x) => x.startsWith('created gamma')), 5000);
    const output = t.output();
    // The progress streamed on screen before the row: the spec line, then stages.
    expect(output).toMatch(/spec: 1 vCPU \([^)]+\), 256 MiB \(vm_defaults\), 256M disk \(vm_defaults\)/);
    expect(output.indexOf('spec: 1 vCPU')).toBeLessThan(output.lastIndexOf('created gamma'));

    // x stops the selected VM (the new one).
    await press(t, 'x');
    await t.waitFor(
      'gamma stopped by x',
      (l) => stateOf(l, 'gamma') === 'stopped' && l.some((x) => x.startsWith('stopped gamma')),
      10_000,
    );

    // Delete asks first: any key but y keeps the VM, y removes it.
    const gammaSelected = t.screen().some((l) => l.includes('gamma') && l.includes('gamma.vm'));
    expect(gammaSelected).toBe(true); // the detail pane shows the new VM
    await press(t, 'd');
    await t.waitFor(
      'the confirmation',
      (l) => l.some((x) => x.includes('delete VM gamma (its disks too)? y confirms')),
      3000,
    );
    await press(t, 'n');
    await t.waitFor('cancelled', (l) => l.some((x) => x.startsWith('cancelled')), 3000);
    expect(stateOf(t.screen(), 'gamma')).toBe('stopped');
    await press(t, 'd');
    await t.waitFor('the confirmation again', (l) => l.some((x) => x.includes('y confirms')), 3000);
    await press(t, 'y');
    await t.waitFor(
      'gamma gone',
      (l) => stateOf(l, 'gamma') === undefined && l.some((x) => x.includes('deleted gamma')),
      10_000,
    );
    const listed = json<{ name: string }[]>(await mustRun(h, ['vm', 'list', '--json']));
    expect(listed.map((v) => v.name).sort()).toEqual(['alpha', 'beta']);

    // The daemon going away: a banner; back: the banner goes and the table is live again.
    await mustRun(h, ['daemon', 'stop']);
    await t.waitFor(
      'the banner',
      (l) => l.some((x) => x.startsWith('daemon unavailable, reconnecting')),
      5000,
    );
    expect(stateOf(t.screen(), 'beta')).toBe('running'); // the last rows stay
    await mustRun(h, ['daemon', 'status']); // starts it again
    await t.waitFor('no banner', (l) => !l.some((x) => x.startsWith('daemon unavailable')), 10_000);
    await mustRun(h, ['vm', 'stop', 'beta']);
    await t.waitFor('beta stopped after the reconnect', (l) => stateOf(l, 'beta') === 'stopped', 2000);

    // The images view: listed, and delete asks first.
    await registerPlaceholderImage(h, 'spare-image');
    await press(t, 'Tab');
    await t.waitFor('the images', (l) => l.some((x) => /^spare-image +register /.test(x)), 5000);
    expect(t.screen().some((x) => /^test-image +register /.test(x))).toBe(true);
    // Rows are sorted by name: spare-image is first, and selected.
    await press(t, 'd');
    await t.waitFor(
      'the image confirmation',
      (l) => l.some((x) => x.includes('delete image spare-image? y confirms')),
      3000,
    );
    await press(t, 'y');
    await t.waitFor(
      'spare-image gone',
      (l) =>
        !l.some((x) => x.startsWith('spare-image')) && l.some((x) => x.includes('deleted image spare-image')),
      10_000,
    );
    // A pull that fails (no network in the test's namespace): its error in place, one line.
    await press(t, 'p');
    await t.waitFor(
      'the pull prompt',
      (l) => l.some((x) => x.startsWith('pull image (a catalog name')),
      3000,
    );
    t.keys(['registry.invalid/nothing:1'], true);
    await press(t, 'Enter');
    await t.waitFor('the pull error', (l) => l.some((x) => x.startsWith('error: ')), 30_000);
    expect(t.screen().filter((x) => x.startsWith('error:'))).toHaveLength(1);
    expect(t.screen().join('\n')).not.toMatch(/^\s+at /m); // no stack trace

    await press(t, 'Tab');
    await t.waitFor(
      'the kernels view',
      (l) => l.some((x) => /^NAME +VERSION +USED BY +CREATED/.test(x)),
      5000,
    );
    await press(t, 'Tab');
    await t.waitFor('back on the VMs', (l) => stateOf(l, 'alpha') !== undefined, 5000);

    // Start from the keyboard; then quit while the start still waits for SSH (there is no guest).
    await press(t, 'Up', 'Up'); // the first row: alpha
    await t.waitFor('alpha selected', (l) => l.some((x) => x.startsWith('│alpha ')), 3000);
    await press(t, 's');
    await t.waitFor('alpha running', (l) => stateOf(l, 'alpha') === 'running', 10_000);
    expect(t.screen().some((x) => x.startsWith('starting alpha'))).toBe(true);
    // Uptime keeps counting although no event carries it.
    await t.waitFor(
      'uptime 3s',
      (l) => /^alpha +running .* [3-9]s /.test(l.find((x) => x.startsWith('alpha')) ?? ''),
      8000,
    );

    // q: exit 0, the shell's screen back (alternate screen left), terminal modes as before.
    await press(t, 'q');
    await t.waitFor('the shell again, at once', (l) => l.some((x) => x === 'shell-after-tui'), 3000);
    expect(readFileSync(files.status, 'utf8').trim()).toBe('0');
    expect(readFileSync(files.sttyAfter, 'utf8')).toBe(readFileSync(files.sttyBefore, 'utf8'));
    expect(t.paneFormat('#{alternate_on} #{cursor_flag}')).toBe('0 1');
    const after = t.screen().filter((l) => l.trim() !== '');
    expect(after).toEqual(['shell-before-tui', 'shell-after-tui']);
    t.kill();
  });

  it('fits 80x24 without colour under NO_COLOR, and Ctrl-C quits with 0', async () => {
    const { t, files } = openTui({ width: 80, height: 24, env: { NO_COLOR: '1' }, label: 'small' });
    await t.waitFor('the table', (l) => stateOf(l, 'alpha') !== undefined, 30_000);
    const screen = t.screen();
    expect(screen).toHaveLength(24);
    expect(screen.every((l) => l.length <= 80)).toBe(true);
    expect(screen.some((l) => /^NAME +STATE +IP +IMAGE +CPU\/MEM\/DISK +UP +CPU +RSS$/.test(l))).toBe(true);
    expect(screen.some((l) => l.includes('q quit'))).toBe(true); // the whole legend fits
    // Bold and inverse only: no foreground or background colour anywhere (39/49, tmux’s "default colour", are not colours).
    const colourSgr = new RegExp(`${ESC}\\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`);
    expect(t.screenWithEscapes()).not.toMatch(colourSgr);
    await press(t, 'C-c');
    await t.waitFor('the shell again', (l) => l.some((x) => x === 'shell-after-tui'), 10_000);
    expect(readFileSync(files.status, 'utf8').trim()).toBe('0');
    expect(readFileSync(files.sttyAfter, 'utf8')).toBe(readFileSync(files.sttyBefore, 'utf8'));
  });
});
