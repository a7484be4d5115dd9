import { formatBytes, formatPercent, formatSizing, formatUptime } from './format.js';
import { vmHref } from './router.js';
import type { VmUsage } from './use-usage.js';
import { uptimeAt, type VmRow } from './vm-rows.js';

/** A VM's state as a word with its own colour class (the word carries the meaning, the colour helps). */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state state-${state}`}>{state}</span>;
}

/**
 * The VM table. A real table with row headers (the name), inside a wrapper
 * that scrolls sideways when the window is narrower than the table; the
 * least important columns are hidden on narrow screens by the stylesheet.
 */
export function VmTable({
  rows,
  usage,
  now,
  caption,
}: {
  rows: readonly VmRow[];
  usage: Map<string, VmUsage>;
  now: number;
  caption: string;
}) {
  return (
    <div class="table-scroll">
      <table class="vms">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">IP</th>
            <th scope="col" class="optional">
              DNS name
            </th>
            <th scope="col">Image</th>
            <th scope="col" class="optional">
              vCPU / mem / disk
            </th>
            <th scope="col">Uptime</th>
            <th scope="col" class="num">
              CPU
            </th>
            <th scope="col" class="num">
              RSS
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const { vm } = row;
            const use = usage.get(vm.id);
            return (
              <tr key={vm.id} data-vm={vm.name}>
                <th scope="row">
                  <a href={vmHref(vm.name)}>{vm.name}</a>
                </th>
                <td data-col="state">
                  <StateBadge state={vm.state} />
                </td>
                <td class="mono">{vm.guestIp}</td>
                <td class="mono optional">{vm.dnsName}</td>
                <td>{vm.image}</td>
                <td class="optional">{formatSizing(vm)}</td>
                <td>{formatUptime(uptimeAt(row, now))}</td>
                <td class="num">{vm.state === 'running' ? formatPercent(use?.cpuPercent) : '–'}</td>
                <td class="num">{vm.state === 'running' ? formatBytes(use?.rssBytes) : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
