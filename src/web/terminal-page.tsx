import { useRef, useState } from 'preact/hooks';
import { PageTitle } from './page-title.js';
import { vmHref } from './router.js';
import { type TerminalStatus, useTerminal } from './use-terminal.js';
import type { VmRow } from './vm-rows.js';

/** `#/vms/<name>/terminal`: a shell in the VM, for as long as the page is open. */
export function TerminalPage({ name, rows }: { name: string; rows: VmRow[] | undefined }) {
  const row = rows?.find((r) => r.vm.name === name || r.vm.id === name);
  if (!rows) return <p class="muted">Loading…</p>;
  if (!row)
    return (
      <>
        <PageTitle title={`Terminal: ${name}`} />
        <p>
          There is no VM named <code>{name}</code> (any more). <a href="#/">Back to the VMs</a>
        </p>
      </>
    );
  return <TerminalView name={row.vm.name} />;
}

/** Each retry is a fresh session: a new key remounts it, with a new terminal and connection. */
function TerminalView({ name }: { name: string }) {
  const [attempt, setAttempt] = useState(0);
  return <TerminalSession key={attempt} name={name} onRetry={() => setAttempt((n) => n + 1)} />;
}

function TerminalSession({ name, onRetry }: { name: string; onRetry: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const status = useTerminal(box, name);
  return (
    <>
      <p class="breadcrumb">
        <a href="#/">VMs</a> / <a href={vmHref(name)}>{name}</a> /
      </p>
      <div class="page-head">
        <PageTitle title={`Terminal: ${name}`} />
        <StatusLine status={status} />
      </div>
      {(status.kind === 'error' || status.kind === 'ended') && (
        <div class="toolbar">
          <button type="button" onClick={onRetry}>
            {status.kind === 'ended' ? 'Open a new shell' : 'Try again'}
          </button>
        </div>
      )}
      <div ref={box} class="terminal-box" />
      <p class="hint muted">
        The shell ends when you leave this page or close the tab. Keys such as Tab go to the shell; F6 or
        Ctrl+L moves to the browser's address bar.
      </p>
    </>
  );
}

function StatusLine({ status }: { status: TerminalStatus }) {
  switch (status.kind) {
    case 'connecting':
      return (
        <p class="muted" aria-live="polite">
          connecting…
        </p>
      );
    case 'open':
      return (
        <p class="muted" aria-live="polite">
          connected
        </p>
      );
    case 'ended':
      return (
        <p aria-live="polite" class="terminal-ended">
          the shell ended
        </p>
      );
    case 'error':
      return (
        <p class="error-line" role="alert">
          error: {status.message}
        </p>
      );
  }
}
