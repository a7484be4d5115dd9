import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { SystemSetupReport } from '../../client/local.js';
import { printJson } from '../output.js';

export function registerSystemCommands(program: Command): void {
  const system = program.command('system').description('prepare this host for banger (needs root)');

  system
    .command('setup')
    .description(
      "run once with sudo: create the bridge, route *.vm to bangerd (systemd-resolved), install banger's root helper with this user's grant, print or install its sudoers line",
    )
    .option(
      '--install-sudoers',
      "write the sudoers line that lets the user run the root helper (checked with visudo first); removes an older banger's unsafe /etc/sudoers.d/banger",
    )
    .option(
      '--install-packages',
      'install the packages of missing host tools (those doctor checks) with apt-get first; asks on a terminal unless --yes',
    )
    .option('-y, --yes', 'with --install-packages: do not ask')
    .option('--sudoers-file <path>', 'where --install-sudoers writes (default: /etc/sudoers.d/banger-<uid>)')
    .option('--user <name>', 'prepare for this user instead of the one running sudo (SUDO_USER)')
    .option('--config <file>', "that user's config file (default: their ~/.config/banger/config.toml)")
    .option('--helper-dir <dir>', 'root-owned directory for the root helper', '/usr/local/libexec/banger')
    .option('--grants-dir <dir>', "root-owned directory for users' grants", '/etc/banger/users')
    .option('--node <path>', 'root-owned node binary the helper runs with (default: the one running setup)')
    .option('--json', 'print what was done as JSON')
    .addHelpText(
      'after',
      "\nThe user is granted one command, the root helper. It runs only banger's own network\ncommands, and only on that user's bridge, TAPs (named bg<uid in base 36>-...), iptables\nrules tagged banger: and addresses in their subnet, as recorded in their grant. Two\nusers may not share a bridge or overlapping subnets. See docs/privileges.md.",
    )
    .action(
      async (opts: {
        installSudoers?: boolean;
        installPackages?: boolean;
        yes?: boolean;
        sudoersFile?: string;
        user?: string;
        config?: string;
        helperDir: string;
        grantsDir: string;
        node?: string;
        json?: boolean;
      }) => {
        const askFirst = opts.yes !== true && process.stdin.isTTY === true && process.stderr.isTTY === true;
        // Loaded on use: setup's host code (network, sudoers, packages) is large and runs once.
        const { runSystemSetup } = await import('../../client/local.js');
        const report = await runSystemSetup({
          installSudoers: opts.installSudoers === true,
          installPackages: opts.installPackages === true,
          ...(askFirst ? { confirmPackages: askToInstall } : {}),
          // apt-get's progress goes to stderr, so stdout stays the report (and --json stays JSON).
          packageOutput: (chunk) => process.stderr.write(chunk),
          helperDir: opts.helperDir,
          grantsDir: opts.grantsDir,
          ...(opts.sudoersFile === undefined ? {} : { sudoersFile: opts.sudoersFile }),
          ...(opts.node === undefined ? {} : { node: opts.node }),
          ...(opts.user === undefined ? {} : { user: opts.user }),
          ...(opts.config === undefined ? {} : { configFile: opts.config }),
        });
        if (opts.json) printJson(report);
        else printSetup(report);
      },
    );
}

/** The TTY question before apt-get runs; anything but y/yes declines. */
async function askToInstall(packages: readonly string[]): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Install ${packages.join(' ')} with apt-get? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function packagesLine(p: SystemSetupReport['packages']): string | undefined {
  if (p.action === 'not-requested') return undefined;
  if (p.action === 'all-present') return 'packages:       every host tool is installed';
  if (p.action === 'installed')
    return `packages:       installed ${p.packages.join(' ')} (for ${p.tools.join(', ')})`;
  return `packages:       not installed (declined): ${p.packages.join(' ')}`;
}

function printSetup(r: SystemSetupReport): void {
  const packages = packagesLine(r.packages);
  const lines = [
    ...(packages ? [packages] : []),
    `user:           ${r.user.name} (uid ${r.user.uid}), config ${r.configFile}`,
    `bridge:         ${r.bridge.name} ${r.bridge.address}: ${r.bridge.action}`,
  ];
  if (r.dnsRouting.resolver === 'systemd-resolved') {
    lines.push(
      `DNS routing:    systemd-resolved sends *.vm to ${r.dnsRouting.server}: ${r.dnsRouting.action}`,
    );
  } else {
    lines.push(`DNS routing:    skipped, no systemd-resolved (${r.dnsRouting.reason})`);
    lines.push(`                to route *.vm yourself: ${r.dnsRouting.recipe}`);
  }
  lines.push('IP forwarding:  left as is; bangerd turns it on when the first VM with NAT starts');
  const h = r.helper;
  if (h.action === 'not-needed') lines.push(`root helper:    not needed: ${h.reason}`);
  else {
    const g = h.grant;
    lines.push(
      `root helper:    ${h.path}: ${h.action}`,
      `grant:          ${h.grantFile}: bridge ${g.bridgeName} ${g.bridgeIp}, subnet ${g.cidr}, DNS port ${g.dnsPort || 'none'}, TAPs of uid ${g.uid}`,
    );
  }
  const s = r.sudoers;
  if (s.action === 'not-needed') lines.push(`sudoers:        not needed: ${s.reason}`);
  else if (s.action === 'printed') {
    lines.push(
      `sudoers:        bangerd needs this line in ${s.file} (rerun with --install-sudoers to write it):`,
      '',
      ...s.lines,
    );
  } else lines.push(`sudoers:        ${s.file}: ${s.action}`);
  if (s.action !== 'not-needed' && s.removedLegacyFile) {
    lines.push(`                removed ${s.removedLegacyFile} from an older banger (its lines gave root)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
