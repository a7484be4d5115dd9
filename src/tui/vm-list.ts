import type { DaemonEvent } from '../api/events.js';
import { applyVmEvent } from '../api/vm-list.js';
import type { VmView } from '../api/vms.js';

/**
 * The VM table's data, kept from the daemon's event stream: the snapshot
 * replaces everything, each `vm` event replaces or adds one row, each
 * `vm-removed` drops one. Rows stay sorted by name so a change never makes
 * the table jump; the selection follows the VM (by id), not the row number.
 */
export interface VmListState {
  vms: VmView[];
  selectedId: string | undefined;
}

/** Keeps the selection on the same VM; when it is gone, on the row that took its place. */
function reselect(previous: VmListState, vms: VmView[]): string | undefined {
  if (vms.some((vm) => vm.id === previous.selectedId)) return previous.selectedId;
  const oldIndex = previous.vms.findIndex((vm) => vm.id === previous.selectedId);
  const index = Math.min(Math.max(oldIndex, 0), vms.length - 1);
  return vms[index]?.id;
}

export function applyEvent(state: VmListState, event: DaemonEvent): VmListState {
  const vms = applyVmEvent(state.vms, event);
  return { vms, selectedId: reselect(state, vms) };
}

/** Moves the selection `delta` rows, stopping at either end. */
export function moveSelection(state: VmListState, delta: number): VmListState {
  if (state.vms.length === 0) return state;
  const current = state.vms.findIndex((vm) => vm.id === state.selectedId);
  const index = Math.min(Math.max(current + delta, 0), state.vms.length - 1);
  return { ...state, selectedId: state.vms[index]?.id };
}

/** Selects the VM named `name` if it is listed (e.g. the one just created). */
export function selectByName(state: VmListState, name: string): VmListState {
  const vm = state.vms.find((v) => v.name === name);
  return vm ? { ...state, selectedId: vm.id } : state;
}

export function selectedVm(state: VmListState): VmView | undefined {
  return state.vms.find((vm) => vm.id === state.selectedId);
}

/**
 * The rows to draw when only `height` fit: a window that keeps the selected
 * row visible, scrolled as little as possible from `previousTop`.
 */
export function visibleWindow(
  total: number,
  selectedIndex: number,
  height: number,
  previousTop: number,
): { top: number; end: number } {
  if (height <= 0) return { top: 0, end: 0 };
  let top = Math.min(previousTop, Math.max(total - height, 0));
  if (selectedIndex >= 0 && selectedIndex < top) top = selectedIndex;
  if (selectedIndex >= top + height) top = selectedIndex - height + 1;
  top = Math.max(top, 0);
  return { top, end: Math.min(top + height, total) };
}
