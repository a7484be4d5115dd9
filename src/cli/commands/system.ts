import type { Command } from 'commander';
import { runSystemSetup, type SystemSetupReport } from '../../api/local.js';
import { printJson } from '../output.js';

export function registerSystemCommands(program: Command): void {
  const system = program.command('system').description('prepare this host for banger (needs root)');

  system
    .command('setup')
    .description(
      'run once with sudo: create the bridge, route *.vm to bangerd (systemd-resolved), print or install the sudoers lines',
    )
    .option('--install-sudoers', 'write the sudoers lines to the sudoers file (checked with visudo first)')
    .option('--sudoers-file <path>', 'where --install-sudoers writes', '/etc/sudoers.d/banger')
    .option('--user <name>', 'prepare for this user instead of the one running sudo (SUDO_USER)')
    .option('--config <file>', "that user's config file (default: their ~/.config/banger/config.toml)")
    .option('--json', 'print what was done as JSON')
    .action(
      async (opts: {
        installSudoers?: boolean;
        sudoersFile: string;
        user?: string;
        config?: string;
        json?: boolean;
      }) => {
        const report = await runSystemSetup({
          installSudoers: opts.installSudoers === true,
          sudoersFile: opts.sudoersFile,
          ...(opts.user === undefined ? {} : { user: opts.user }),
          ...(opts.config === undefined ? {} : { configFile: opts.config }),
        });
        if (opts.json) printJson(report);
        else printSetup(report);
      },
    );
}

function printSetup(r: SystemSetupReport): void {
  const lines = [
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
  const s = r.sudoers;
  if (s.action === 'not-needed') lines.push(`sudoers:        not needed: ${s.reason}`);
  else if (s.action === 'printed') {
    lines.push(
      `sudoers:        bangerd needs these lines in ${s.file} (rerun with --install-sudoers to write them):`,
      '',
      ...s.lines,
    );
  } else lines.push(`sudoers:        ${s.file} (${s.lines.length} lines): ${s.action}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
