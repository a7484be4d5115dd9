import type { Command } from 'commander';
import type { SnapshotInfo } from '../../../api/snapshots.js';
import { formatBytes } from '../../../domain/readings.js';
import { printFields, printJson, printTable } from '../../output.js';
import { progressPrinter } from '../../progress.js';
import { terminalSafe } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';
import { forEachRef } from './many.js';

function fields(s: SnapshotInfo): [string, string][] {
  return [
    ['name', s.name],
    ['created', s.createdAt],
    ['source', `${s.source.vmName} (${s.source.vmId})`],
    ['image', s.image],
    ['vcpu', String(s.vcpu)],
    ['memory', `${s.memoryMib} MiB`],
    ['disk', formatBytes(s.diskBytes)],
    ['size', `${formatBytes(s.sizeBytes)} on disk`],
    ['path', s.path],
  ];
}

/**
 * `banger vm snapshot VM [--name S]` and `vm snapshot list|show|delete`:
 * a running VM's memory, state and disks, taken while it is paused for a moment.
 */
export function registerSnapshotCommands(vm: Command): void {
  const snapshot = vm
    .command('snapshot')
    .description(
      'snapshot a running VM (memory, state and disks; it pauses for a moment): banger vm snapshot VM [--name S]; list, show and delete them',
    );

  // The default subcommand: `vm snapshot VM` is `vm snapshot create VM` (which also takes a VM named "list").
  snapshot
    .command('create', { isDefault: true })
    .description('snapshot a running VM; it pauses while its memory and disks are written')
    .argument('<vm>', 'the running VM: name, id or unique id prefix')
    .option('--name <name>', 'snapshot name (default: <vm>-<UTC date>-<time>)')
    .option('--json', 'print the snapshot as JSON')
    .action((ref: string, o: { name?: string; json?: boolean }) =>
      withClient(async (client) => {
        const { snapshot: s } = await client.createSnapshot(
          ref,
          o.name === undefined ? {} : { name: o.name },
          o.json ? () => {} : progressPrinter(),
        );
        if (o.json) return printJson(s);
        process.stdout.write(
          `snapshot ${s.name} of ${s.source.vmName} (${formatBytes(s.sizeBytes)} on disk)\n`,
        );
      }),
    );

  snapshot
    .command('list')
    .description('list snapshots, oldest first')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      withClient(async (client) => {
        const { snapshots } = await client.listSnapshots();
        if (o.json) return printJson(snapshots);
        if (snapshots.length === 0) {
          process.stdout.write('no snapshots; take one with `banger vm snapshot VM`\n');
          return;
        }
        printTable(
          ['name', 'source', 'image', 'memory', 'size', 'created'],
          snapshots.map((s) => [
            terminalSafe(s.name),
            terminalSafe(s.source.vmName),
            terminalSafe(s.image),
            `${s.memoryMib} MiB`,
            formatBytes(s.sizeBytes),
            s.createdAt,
          ]),
        );
      }),
    );

  snapshot
    .command('show')
    .description('show one snapshot')
    .argument('<name>', 'snapshot name')
    .option('--json', 'print JSON')
    .action((name: string, o: { json?: boolean }) =>
      withClient(async (client) => {
        const { snapshot: s } = await client.showSnapshot(name);
        if (o.json) return printJson(s);
        printFields(fields(s).map(([k, v]) => [k, terminalSafe(v)]));
      }),
    );

  snapshot
    .command('delete')
    .description('delete snapshots and their files')
    .argument('<name...>', 'snapshot names')
    .action((names: string[]) =>
      withClient((client) =>
        forEachRef(
          names,
          (name) => client.deleteSnapshot(name),
          (_name, r) => process.stdout.write(`deleted snapshot ${r.name}\n`),
        ),
      ),
    );
}
