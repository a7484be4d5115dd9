import { Box, Text, useApp, useInput } from 'ink';
import { useCallback, useState } from 'react';
import type { BangerClient, OnStage } from '../api/client.js';
import type { VmSshInfo } from '../api/vms.js';
import { listGuestPorts } from '../client/guest-ssh.js';
import { type ArtifactKind, ArtifactsView } from './artifacts-view.js';
import { CreateFormView } from './create-form-view.js';
import { DetailPane, type PortsLine } from './detail-pane.js';
import { oneLine, printable } from './format.js';
import { Legend } from './legend.js';
import { type Status, StatusLine } from './status-line.js';
import { colour } from './theme.js';
import { useTerminalSize } from './use-terminal-size.js';
import { useUsage } from './use-usage.js';
import { useVmDetail } from './use-vm-detail.js';
import { useVmEvents } from './use-vm-events.js';
import { selectedVm } from './vm-list.js';
import { VmTable } from './vm-table.js';

type View = 'vms' | ArtifactKind;
const VIEWS: readonly View[] = ['vms', 'images', 'kernels'];

/** Where the user was: kept across an ssh session, which unmounts the app. */
export interface Place {
  view: View;
  selectedId: string | undefined;
  status: Status | undefined;
}

export type Outcome = { type: 'quit' } | { type: 'ssh'; info: VmSshInfo; place: Place };

const DETAIL_LINES = 8;
const VM_KEYS = [
  ['↑↓', 'select'],
  ['s', 'start'],
  ['x', 'stop'],
  ['r', 'restart'],
  ['d', 'delete'],
  ['c', 'create'],
  ['e/⏎', 'ssh'],
  ['p', 'ports'],
  ['tab', 'images/kernels'],
  ['q', 'quit'],
] as const;
const ARTIFACT_KEYS = [
  ['↑↓', 'select'],
  ['p', 'pull'],
  ['d', 'delete'],
  ['g', 'refresh'],
  ['tab', 'next view'],
  ['q', 'quit'],
] as const;

export function App({
  client,
  place,
  onLeave,
}: {
  client: BangerClient;
  place: Place;
  onLeave: (outcome: Outcome) => void;
}) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [view, setView] = useState<View>(place.view);
  const [status, setStatus] = useState<Status | undefined>(place.status);
  const [confirming, setConfirming] = useState<{ prompt: string; action: () => Promise<string> }>();
  const [creating, setCreating] = useState(false);
  const [typing, setTyping] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [ports, setPorts] = useState<PortsLine>();
  const { list, connection, dispatch } = useVmEvents(client, place.selectedId);
  const vm = selectedVm(list);
  const usage = useUsage(client, list.vms);
  const detail = useVmDetail(client, vm?.id, DETAIL_LINES);

  const leave = (outcome: Outcome) => {
    onLeave(outcome);
    exit();
  };

  /** Runs an action in the background; its progress and result go to the status line. */
  const run = useCallback((label: string, action: (onStage: OnStage) => Promise<string>) => {
    setStatus({ text: `${label}…`, tone: 'busy' });
    action((e) => setStatus({ text: `${label}: ${printable(e.message)}`, tone: 'busy' })).then(
      (text) => setStatus({ text, tone: 'done' }),
      (err: unknown) => setStatus({ text: oneLine(err), tone: 'error' }),
    );
  }, []);

  const confirm = useCallback(
    (prompt: string, action: () => Promise<string>) => setConfirming({ prompt, action }),
    [],
  );

  const onVmKey = (input: string, key: { return: boolean }) => {
    if (!vm) {
      if (input === 'c') setCreating(true);
      return;
    }
    const name = vm.name;
    if (input === 's')
      run(`starting ${name}`, (s) => client.startVm(vm.id, {}, s).then(() => `started ${name}`));
    else if (input === 'x') run(`stopping ${name}`, () => client.stopVm(vm.id).then(() => `stopped ${name}`));
    else if (input === 'r')
      run(`restarting ${name}`, (s) => client.restartVm(vm.id, {}, s).then(() => `restarted ${name}`));
    else if (input === 'd')
      confirm(`delete VM ${name} (its disks too)?`, () =>
        client.deleteVm(vm.id).then(() => `deleted ${name}`),
      );
    else if (input === 'c') setCreating(true);
    else if (input === 'p') {
      setPorts({ vmId: vm.id, text: 'listing…', failed: false });
      client
        .vmSsh(vm.id)
        .then(listGuestPorts)
        .then(
          (list) => {
            const text = list.map((p) =>
              `${p.port}/${p.proto} ${printable(p.processes[0]?.name ?? '')}`.trim(),
            );
            setPorts({ vmId: vm.id, text: text.join('  ') || 'none listening', failed: false });
          },
          (err: unknown) => setPorts({ vmId: vm.id, text: oneLine(err), failed: true }),
        );
    } else if (input === 'e' || key.return) {
      setStatus({ text: `connecting to ${name}…`, tone: 'busy' });
      client.vmSsh(vm.id).then(
        (info) => leave({ type: 'ssh', info, place: { view, selectedId: vm.id, status: undefined } }),
        (err: unknown) => setStatus({ text: oneLine(err), tone: 'error' }),
      );
    }
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return leave({ type: 'quit' });
    if (creating || typing) return; // the form or the pull prompt has the keys
    if (confirming) {
      setConfirming(undefined);
      if (input === 'y') {
        const { prompt, action } = confirming;
        run(prompt.replace(/\?$/, ''), async () => {
          const done = await action();
          setGeneration((g) => g + 1);
          return done;
        });
      } else setStatus({ text: 'cancelled', tone: 'done' });
      return;
    }
    if (input === 'q') return leave({ type: 'quit' });
    if (key.tab)
      return setView((v) => VIEWS[(VIEWS.indexOf(v) + (key.shift ? 2 : 1)) % VIEWS.length] ?? 'vms');
    if (view !== 'vms') return;
    if (key.upArrow || input === 'k') dispatch({ type: 'move', delta: -1 });
    else if (key.downArrow || input === 'j') dispatch({ type: 'move', delta: 1 });
    else onVmKey(input, key);
  });

  const banner = connection && !connection.up ? connection.reason : undefined;
  // Everything fits in rows - 1 lines: a frame as tall as the terminal makes ink clear the screen on each render.
  const bodyHeight = rows - 1 - 1 - (banner ? 1 : 0) - 1 - 2;
  const tableRows = Math.max(bodyHeight - (DETAIL_LINES + 2) - 1, 2);
  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <Text wrap="truncate">
        <Text bold>banger</Text>
        {VIEWS.map((v) => (
          <Text key={v} inverse={v === view}>
            {'  '}
            {v === 'vms' ? `VMs (${list.vms.length})` : v}
            {'  '}
          </Text>
        ))}
      </Text>
      {banner ? (
        <Text wrap="truncate" inverse color={colour('red')}>
          daemon unavailable, reconnecting: {banner}
        </Text>
      ) : null}
      {creating ? (
        <CreateFormView
          client={client}
          height={bodyHeight}
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            dispatch({ type: 'select-name', name });
            setStatus({ text: `created ${name}`, tone: 'done' });
          }}
        />
      ) : view === 'vms' ? (
        <Box flexDirection="column" height={bodyHeight}>
          <VmTable
            vms={list.vms}
            selectedId={list.selectedId}
            usage={usage}
            width={columns}
            height={tableRows}
            loading={connection === undefined}
          />
          <DetailPane vm={vm} detail={detail} ports={ports} height={DETAIL_LINES} />
        </Box>
      ) : (
        <ArtifactsView
          kind={view}
          client={client}
          width={columns}
          height={bodyHeight}
          active={!confirming}
          confirm={confirm}
          generation={generation}
          run={run}
          onTyping={setTyping}
        />
      )}
      <StatusLine status={status} confirming={confirming?.prompt} />
      {/* The form has its own legend. */}
      <Legend keys={creating ? [] : view === 'vms' ? VM_KEYS : ARTIFACT_KEYS} />
    </Box>
  );
}
