import { useEffect, useRef, useState } from 'preact/hooks';
import type { VmStatsView, VmView } from '../api/vms.js';
import { type CpuSample, cpuPercent } from '../domain/readings.js';
import { api } from './api.js';
import { Field } from './fields.js';
import {
  formatBytes,
  formatPercent,
  formatSizing,
  formatTime,
  formatUptime,
  printableConsole,
} from './format.js';
import { ErrorLine } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { imageHref, terminalHref } from './router.js';
import { useFollowBottom } from './use-follow-bottom.js';
import { useNow, usePoll } from './use-poll.js';
import { VmActions } from './vm-actions.js';
import { VmPorts } from './vm-ports.js';
import { uptimeAt, type VmRow } from './vm-rows.js';
import { StateBadge } from './vm-table.js';

const POLL_MS = 2000;
/** Bytes of console to show: the last screenfuls, not the whole (capped) log. */
const CONSOLE_TAIL_BYTES = 16 * 1024;

/** `#/vms/<name>`: one VM, its state live from the event stream, its stats and console polled. */
export function VmDetailPage({ name, rows }: { name: string; rows: VmRow[] | undefined }) {
  const row = rows?.find((r) => r.vm.name === name || r.vm.id === name);
  if (!rows) return <p class="muted">Loading…</p>;
  if (!row)
    return (
      <>
        <PageTitle title={name} />
        <p>
          There is no VM named <code>{name}</code> (any more). <a href="#/">Back to the VMs</a>
        </p>
      </>
    );
  return <VmDetail row={row} />;
}

function VmDetail({ row }: { row: VmRow }) {
  const { vm } = row;
  const now = useNow();
  const stats = usePoll(() => api.vmStats(vm.id), POLL_MS, vm.id);
  return (
    <>
      <p class="breadcrumb">
        <a href="#/">VMs</a> /
      </p>
      <div class="page-head">
        <PageTitle title={vm.name} />
        <StateBadge state={vm.state} />
      </div>
      <VmActions vm={vm} onDeleted={() => location.assign('#/')} />
      {vm.state === 'running' && (
        <p>
          <a class="button" href={terminalHref(vm.name)}>
            Terminal
          </a>
        </p>
      )}
      {vm.lastError && (
        <p class="error-line">
          <strong>Last error:</strong> {vm.lastError}
        </p>
      )}
      <div class="columns">
        <section aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <Fields vm={vm} uptime={formatUptime(uptimeAt(row, now))} />
        </section>
        <section aria-labelledby="usage-title">
          <h2 id="usage-title">Usage</h2>
          <ErrorLine error={stats.error} />
          {stats.value ? <Usage stats={stats.value} /> : <p class="muted">Loading…</p>}
        </section>
      </div>
      {vm.state === 'running' && <VmPorts vmId={vm.id} vmName={vm.name} />}
      <ConsoleTail vmId={vm.id} />
    </>
  );
}

function Fields({ vm, uptime }: { vm: VmView; uptime: string }) {
  return (
    <dl class="fields">
      <Field label="ID">
        <code>{vm.id}</code>
      </Field>
      <Field label="Image">
        <a href={imageHref(vm.image)}>{vm.image}</a>
      </Field>
      <Field label="vCPU / memory / disk">{formatSizing(vm)}</Field>
      <Field label="IP">
        <code>{vm.guestIp}</code>
      </Field>
      <Field label="DNS name">
        <code>{vm.dnsName}</code>
      </Field>
      <Field label="NAT">{vm.nat ? 'on' : 'off'}</Field>
      <Field label="Created">{formatTime(vm.createdAt)}</Field>
      <Field label="Started">{formatTime(vm.startedAt)}</Field>
      <Field label="Uptime">{uptime}</Field>
      <Field label="Firecracker pid">{vm.pid ?? '–'}</Field>
      <Field label="TAP">{vm.tap ?? '–'}</Field>
      <Field label="Guest agent">
        {vm.agent ? (vm.agent.answering ? 'answering' : 'not answering') : '–'}
      </Field>
      {vm.autoStopAt && <Field label="Auto-stop at">{formatTime(vm.autoStopAt)}</Field>}
      <Field label="Directory">
        <code class="wrap">{vm.vmDir}</code>
      </Field>
    </dl>
  );
}

function Usage({ stats }: { stats: VmStatsView }) {
  const proc = stats.process;
  const cpu = useCpuPercent(stats);
  return (
    <>
      <dl class="fields">
        <Field label="CPU">{formatPercent(cpu)}</Field>
        <Field label="RSS">{formatBytes(proc?.rssBytes)}</Field>
        <Field label="CPU time">{proc ? `${proc.cpuSeconds.toFixed(1)} s` : '–'}</Field>
        <Field label="Process uptime">{formatUptime(proc?.uptimeSeconds)}</Field>
      </dl>
      <div class="table-scroll">
        <table>
          <caption>Disks</caption>
          <thead>
            <tr>
              <th scope="col">Disk</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col" class="num">
                Used on host
              </th>
            </tr>
          </thead>
          <tbody>
            {stats.disks.map((d) => (
              <tr key={d.name}>
                <th scope="row">{d.name}</th>
                <td class="num">{formatBytes(d.apparentBytes)}</td>
                <td class="num">{formatBytes(d.allocatedBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** The daemon's CPU figure when it has one, else the share of one core between this poll and the last. */
function useCpuPercent(stats: VmStatsView): number | undefined {
  const previous = useRef<CpuSample | undefined>(undefined);
  const [cpu, setCpu] = useState<number | undefined>(undefined);
  // Each poll brings a new stats object: one sample per poll, however often the page redraws.
  useEffect(() => {
    const proc = stats.process;
    if (!proc) {
      previous.current = undefined;
      setCpu(undefined);
      return;
    }
    const sample = { cpuSeconds: proc.cpuSeconds, at: Date.now(), pid: proc.pid };
    setCpu(proc.cpuPercent ?? cpuPercent(previous.current, sample));
    previous.current = sample;
  }, [stats]);
  return cpu;
}

/**
 * The end of the serial console, polled every two seconds (a short request
 * each time rather than a stream held open per page). It scrolls to the
 * newest line unless the reader scrolled up to read.
 */
function ConsoleTail({ vmId }: { vmId: string }) {
  const log = usePoll(() => api.consoleTail(vmId, CONSOLE_TAIL_BYTES), POLL_MS, vmId);
  const text = log.value === undefined ? undefined : printableConsole(dropPartialFirstLine(log.value));
  const { ref, onScroll } = useFollowBottom<HTMLPreElement>(text);
  return (
    <section aria-labelledby="console-title">
      <h2 id="console-title">Console</h2>
      <ErrorLine error={log.error} />
      <pre
        ref={ref}
        class="console"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
        tabIndex={0}
        onScroll={onScroll}
      >
        {text === undefined ? 'Loading…' : text || '(nothing on the console yet)'}
      </pre>
    </section>
  );
}

/** A tail starts anywhere in a line: drop that piece unless the log is that short. */
function dropPartialFirstLine(text: string): string {
  if (text.length < CONSOLE_TAIL_BYTES) return text;
  const newline = text.indexOf('\n');
  return newline >= 0 ? text.slice(newline + 1) : text;
}
