import { Box, Text } from 'ink';
import type { VmView } from '../api/vms.js';
import { formatBytes, formatUptime, printable } from './format.js';
import { colour, stateColour } from './theme.js';
import type { VmDetail } from './use-vm-detail.js';

/** What `p` fetched for a VM: its listening ports as one line, or why not. */
export interface PortsLine {
  vmId: string;
  text: string;
  failed: boolean;
}

interface Props {
  vm: VmView | undefined;
  detail: VmDetail;
  ports: PortsLine | undefined;
  /** Lines inside the border. */
  height: number;
}

/** Fields, process and disk numbers, ports and the end of the console log of the selected VM. */
export function DetailPane({ vm, detail, ports, height }: Props) {
  const border = colour('blue');
  if (!vm) {
    return (
      <Box borderStyle="single" borderColor={border} height={height + 2} flexDirection="column">
        <Text dimColor>no VM selected</Text>
      </Box>
    );
  }
  const proc = detail.stats?.process;
  const disks = (detail.stats?.disks ?? [])
    .map((d) => `${d.name} ${formatBytes(d.allocatedBytes)}/${formatBytes(d.apparentBytes)}`)
    .join('  ');
  const portsText = ports?.vmId === vm.id ? ports.text : 'p lists them';
  const fixedLines = 4 + (vm.lastError ? 1 : 0);
  const consoleLines = detail.consoleLines.slice(-Math.max(height - fixedLines - 1, 0));
  return (
    <Box
      borderStyle="single"
      borderColor={border}
      height={height + 2}
      flexDirection="column"
      overflow="hidden"
    >
      <Text wrap="truncate">
        <Text bold>{vm.name}</Text> {vm.id.slice(0, 12)} <Text color={stateColour(vm.state)}>{vm.state}</Text>{' '}
        {vm.dnsName} {vm.guestIp} nat {vm.nat ? 'on' : 'off'} image {vm.image}
      </Text>
      <Text wrap="truncate">
        {proc
          ? `pid ${proc.pid}  up ${formatUptime(proc.uptimeSeconds)}  cpu time ${proc.cpuSeconds.toFixed(1)}s  rss ${formatBytes(proc.rssBytes)}`
          : `not running  created ${vm.createdAt.slice(0, 16).replace('T', ' ')}`}
        {vm.tap ? `  tap ${vm.tap}` : ''}
      </Text>
      <Text wrap="truncate">disks {disks || '-'}</Text>
      <Text wrap="truncate" color={ports?.vmId === vm.id && ports.failed ? colour('red') : undefined}>
        ports {portsText}
      </Text>
      {vm.lastError ? (
        <Text wrap="truncate" color={colour('red')}>
          last error: {printable(vm.lastError)}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate">
        console {consoleLines.length === 0 ? '(empty)' : ''}
      </Text>
      {consoleLines.map((line, i) => (
        // Lines have no identity of their own; their position is what they are.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Text key={i} wrap="truncate">
          {line}
        </Text>
      ))}
    </Box>
  );
}
