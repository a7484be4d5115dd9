import { PageTitle } from './page-title.js';
import { useNow } from './use-poll.js';
import { useUsage } from './use-usage.js';
import type { VmRow } from './vm-rows.js';
import { VmTable } from './vm-table.js';

/** `#/`: every VM, live from the event stream. */
export function VmListPage({ rows }: { rows: VmRow[] | undefined }) {
  const usage = useUsage(rows ?? []);
  const now = useNow();
  return (
    <>
      <div class="page-head">
        <PageTitle title="VMs">VMs{rows ? ` (${rows.length})` : ''}</PageTitle>
        <a class="button primary" href="#/create">
          Create VM
        </a>
      </div>
      {rows === undefined ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="muted">
          No VMs yet. <a href="#/create">Create one</a>, or run <code>banger vm create</code>.
        </p>
      ) : (
        <VmTable rows={rows} usage={usage} now={now} caption="Your VMs" />
      )}
    </>
  );
}
