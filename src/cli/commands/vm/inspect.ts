import type { Command } from 'commander';
import type { VmView } from '../../../api/vms.js';
import { formatSize } from '../../../domain/size.js';
import { integerArg } from '../../args.js';
import { formatDuration, printFields, printJson } from '../../output.js';
import { terminalSafeStream } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';
import { listVms, uptime } from './list.js';
import { forEachRef } from './many.js';

/** "answering (guest up 2m3s, load 0.01 0.05 0.10)" or "not answering". */
function agentLine(agent: NonNullable<VmView['agent']>): string {
  if (!agent.answering) return 'not answering (over vsock; see `banger vm logs` for the guest console)';
  const up = agent.uptimeSeconds !== undefined ? `guest up ${formatDuration(agent.uptimeSeconds)}` : '';
  const load = agent.load?.length ? `load ${agent.load.map((n) => n.toFixed(2)).join(' ')}` : '';
  const details = [up, load].filter(Boolean).join(', ');
  return details ? `answering (${details})` : 'answering';
}

/** "in 9m58s if it stays idle (2026-…Z)": auto_stop_stale_after is on and the VM runs. */
function autoStop(at: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(at) - Date.now()) / 1000));
  return `in ${formatDuration(seconds)} if it stays idle (${at})`;
}

/** list, show, stats, logs, set. */
export function registerInspectCommands(vm: Command): void {
  vm.command('list')
    .alias('ls')
    .description('list VMs')
    .option('--json', 'print JSON')
    .option('--all', 'also the warm pool’s ready VMs (warm_pool_size)')
    .action((opts: { json?: boolean; all?: boolean }) => listVms(opts));

  vm.command('show')
    .description('show one VM')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }) =>
      withClient(async (client) => {
        const { vm: v } = await client.showVm(ref);
        if (opts.json) return printJson(v);
        printFields([
          ['name', v.name],
          ['id', v.id],
          ['state', v.state],
          ['image', v.image],
          ['address', `${v.guestIp} (${v.dnsName})`],
          ['nat', v.nat ? 'on' : 'off'],
          ['size', `${v.vcpu} vCPU, ${v.memoryMib} MiB, ${formatSize(v.diskBytes)} disk`],
          ['created', v.createdAt],
          ['uptime', uptime(v)],
          ...(v.pid !== undefined ? [['pid', String(v.pid)] as const] : []),
          ...(v.tap !== undefined ? [['tap', v.tap] as const] : []),
          ...(v.agent !== undefined ? [['agent', agentLine(v.agent)] as const] : []),
          ...(v.autoStopAt !== undefined ? [['auto-stop', autoStop(v.autoStopAt)] as const] : []),
          ['dir', v.vmDir],
          ...(v.lastError ? [['last error', v.lastError] as const] : []),
        ]);
      }),
    );

  vm.command('stats')
    .description('host-side numbers: RSS and CPU of the Firecracker process, disk usage, Firecracker metrics')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }) =>
      withClient(async (client) => {
        const s = await client.vmStats(ref);
        if (opts.json) return printJson(s);
        printFields([
          ['name', s.name],
          ['state', s.state],
          ...(s.process
            ? ([
                ['pid', String(s.process.pid)],
                ['rss', formatSize(s.process.rssBytes)],
                [
                  'cpu',
                  `${s.process.cpuSeconds.toFixed(2)}s${s.process.cpuPercent !== undefined ? ` (${s.process.cpuPercent}% now)` : ''}`,
                ],
                ['uptime', formatDuration(s.process.uptimeSeconds)],
              ] as const)
            : []),
          ...s.disks.map(
            (d) =>
              [
                d.name,
                `${formatSize(d.allocatedBytes)} used of ${formatSize(d.apparentBytes)} (${d.path})`,
              ] as const,
          ),
        ]);
      }),
    );

  vm.command('logs')
    .description("print a VM's serial console log (or Firecracker's own log)")
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('-f, --follow', 'keep printing as the log grows, until the VM stops or Ctrl-C')
    .option('--console', 'the serial console (default)')
    .option('--firecracker', "Firecracker's own log")
    .option('--tail <bytes>', 'start this many bytes before the end', integerArg)
    .option('--raw', "on a terminal too, print the log's bytes unchanged (escape sequences included)")
    .action((ref: string, opts: { follow?: boolean; firecracker?: boolean; tail?: number; raw?: boolean }) =>
      withClient(async (client) => {
        const chunks = client.vmLogs(ref, {
          source: opts.firecracker ? 'firecracker' : 'console',
          follow: opts.follow === true,
          ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        });
        // The guest writes the console: on a terminal only colours pass, other controls are shown escaped.
        const out = process.stdout.isTTY && !opts.raw ? terminalSafeStream(chunks) : chunks;
        for await (const chunk of out) process.stdout.write(chunk);
      }),
    );

  vm.command('set')
    .description(
      'change VMs: NAT at any time; vCPU, memory and disk size (grow only) while stopped. Several VMs change concurrently, each reporting its own result',
    )
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .option('--vcpu <n>', 'vCPUs (1-32)', integerArg)
    .option('--memory <mib>', 'memory in MiB', integerArg)
    .option('--disk-size <size>', 'new work disk size (grow only), e.g. 32G')
    .option('--nat', 'enable NAT')
    .option('--no-nat', 'disable NAT')
    .option('--json', 'print the VM as JSON (an array of the changed VMs when several are given)')
    .action(
      (
        refs: string[],
        o: { vcpu?: number; memory?: number; diskSize?: string; nat?: boolean; json?: boolean },
      ) =>
        withClient(async (client) => {
          const change = {
            ...(o.vcpu !== undefined ? { vcpu: o.vcpu } : {}),
            ...(o.memory !== undefined ? { memoryMib: o.memory } : {}),
            ...(o.diskSize !== undefined ? { diskSize: o.diskSize } : {}),
            ...(o.nat !== undefined ? { nat: o.nat } : {}),
          };
          const changed: VmView[] = [];
          const print = () => {
            if (o.json) printJson(refs.length === 1 ? changed[0] : changed);
          };
          try {
            await forEachRef(
              refs,
              (ref) => client.setVm(ref, change),
              (_ref, { vm: v }) => {
                changed.push(v);
                if (!o.json)
                  process.stdout.write(
                    `${v.name}: ${v.vcpu} vCPU, ${v.memoryMib} MiB, ${formatSize(v.diskBytes)} disk, NAT ${v.nat ? 'on' : 'off'}\n`,
                  );
              },
            );
          } finally {
            if (changed.length > 0) print();
          }
        }),
    );
}
