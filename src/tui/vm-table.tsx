import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { VmView } from '../api/vms.js';
import { headerCells, type VmUsage, vmCells } from './table-layout.js';
import { stateColour } from './theme.js';
import { visibleWindow } from './vm-list.js';

interface Props {
  vms: readonly VmView[];
  selectedId: string | undefined;
  usage: ReadonlyMap<string, VmUsage>;
  width: number;
  /** Lines available for the rows (the header is extra). */
  height: number;
  loading: boolean;
}

/** The VM table: one row per VM, the selected one inverse, scrolled to keep it visible. */
export function VmTable({ vms, selectedId, usage, width, height, loading }: Props) {
  const top = useRef(0);
  // Uptime moves on its own; ink writes a frame only when its text changes (each second under a minute).
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const selectedIndex = vms.findIndex((vm) => vm.id === selectedId);
  const window = visibleWindow(vms.length, selectedIndex, height, top.current);
  top.current = window.top;
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold>{headerCells(width).join(' ')}</Text>
      {vms.length === 0 ? (
        <Text dimColor>{loading ? 'connecting to bangerd…' : 'no VMs yet: c creates one'}</Text>
      ) : (
        vms.slice(window.top, window.end).map((vm) => {
          const cells = vmCells(vm, usage.get(vm.id), width, now);
          const selected = vm.id === selectedId;
          return (
            <Text key={vm.id} inverse={selected} wrap="truncate">
              {cells[0]} <Text color={selected ? undefined : stateColour(vm.state)}>{cells[1]}</Text>{' '}
              {cells.slice(2).join(' ')}
            </Text>
          );
        })
      )}
    </Box>
  );
}
