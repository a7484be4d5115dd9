import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANGER } from '../support/sandbox.js';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../support/vm-harness.js';
import { startTmux, type TmuxTerminal } from './tmux.js';

/**
 * ssh from the TUI to a real guest (the golden image through the stand-in):
 * the terminal goes to ssh, a command runs in the guest, and when the shell
 * exits the TUI is back on the same VM with the CLI's "still running" reminder.
 */

let h: VmHarness;
let t: TmuxTerminal | undefined;

beforeAll(async () => {
  h = await createVmHarness({ label: 'tui-ssh', config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'] });
  await registerGoldenImage(h, 'golden');
  // Two VMs, so coming back "to the same place" means the second one is still selected.
  await mustRun(h, ['vm', 'create', '--name', 'other', '--image', 'golden', '--no-start']);
  await mustRun(h, ['vm', 'create', '--name', 'shell', '--image', 'golden'], 300_000);
}, 900_000);

afterAll(async () => {
  t?.kill();
  await h?.cleanup();
});

const press = async (keys: string[], literal = false) => {
  t?.keys(keys, literal);
  await new Promise((r) => setTimeout(r, 150));
};

describe('banger tui ssh', () => {
  it('hands the terminal to ssh and comes back to the same VM afterwards', { timeout: 300_000 }, async () => {
    const dir = join(h.root, 'tmux');
    mkdirSync(dir);
    const status = join(dir, 'status');
    t = startTmux({
      dir,
      env: h.env,
      width: 100,
      height: 30,
      command: `ip netns exec ${h.netns.name} ${process.execPath} ${BANGER} tui; echo $? > ${status}; echo shell-after-tui`,
    });
    const rowOf = (name: string) => (l: string[]) => l.some((x) => new RegExp(`^${name} +running `).test(x));
    await t.waitFor('the running VM', rowOf('shell'), 30_000);
    await press(['Down']); // rows are sorted: other, shell
    await t.waitFor('shell selected', (l) => l.some((x) => x.startsWith('│shell ')), 5000);

    await press(['e']);
    await t.waitFor('the guest shell', (l) => l.some((x) => /root@shell:~# *$/.test(x)), 60_000);
    await press(['echo in-guest-$((6*7)) $(hostname)'], true);
    await press(['Enter']);
    await t.waitFor('the command output', (l) => l.some((x) => x === 'in-guest-42 shell'), 30_000);
    await press(['exit'], true);
    await press(['Enter']);

    await t.waitFor(
      'the TUI again',
      (l) => l.some((x) => x.includes('shell is still running; x stops it, d deletes it')),
      30_000,
    );
    // The table comes back with the next snapshot, the same VM selected.
    await t.waitFor(
      'the table, shell selected',
      (l) => rowOf('shell')(l) && l.some((x) => x.startsWith('│shell ')),
      10_000,
    );
    expect(t.screen().some((x) => /^other +stopped /.test(x))).toBe(true);

    // The detail pane: the guest's listening ports on p, and its console log's last lines.
    await press(['p']);
    await t.waitFor('the ports', (l) => l.some((x) => /^│ports .*22\/tcp sshd/.test(x)), 30_000);
    const screen = t.screen();
    const consoleAt = screen.findIndex((x) => x.startsWith('│console'));
    expect(screen[consoleAt]).not.toContain('(empty)');
    expect(screen[consoleAt + 1]).toMatch(/^│\S/);

    await press(['q']);
    await t.waitFor('the shell', (l) => l.some((x) => x === 'shell-after-tui'), 10_000);
    expect(readFileSync(status, 'utf8').trim()).toBe('0');
  });
});
