import type { DoctorCheck } from '../api/schemas.js';
import { api } from './api.js';
import { formatTime, formatUptime } from './format.js';
import { ErrorLine } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { usePoll } from './use-poll.js';

const STATUS_POLL_MS = 5000;
/** The doctor runs host checks (commands, sudo): once on opening, then on demand or every minute. */
const DOCTOR_POLL_MS = 60_000;

/** `#/daemon`: the daemon's version, pid and uptime, and `banger doctor`'s checks. */
export function DaemonPage() {
  const status = usePoll(() => api.status(), STATUS_POLL_MS, 'status');
  const doctor = usePoll(() => api.doctor(), DOCTOR_POLL_MS, 'doctor');
  const s = status.value;
  return (
    <>
      <PageTitle title="Daemon" />
      <section aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        <ErrorLine error={status.error} />
        {s ? (
          <dl class="fields">
            <div class="field">
              <dt>Version</dt>
              <dd>{s.version}</dd>
            </div>
            <div class="field">
              <dt>pid</dt>
              <dd>{s.pid}</dd>
            </div>
            <div class="field">
              <dt>Uptime</dt>
              <dd>
                {formatUptime(s.uptimeSeconds)} (since {formatTime(s.startedAt)})
              </dd>
            </div>
            <div class="field">
              <dt>DNS</dt>
              <dd>
                <code>{s.dnsListenAddr}</code>
              </dd>
            </div>
            <div class="field">
              <dt>Web UI</dt>
              <dd>{s.webUrl ? <code>{s.webUrl}</code> : (s.webError ?? 'off')}</dd>
            </div>
            <div class="field">
              <dt>Socket</dt>
              <dd>
                <code class="wrap">{s.socket}</code>
              </dd>
            </div>
            <div class="field">
              <dt>Log</dt>
              <dd>
                <code class="wrap">{s.logPath}</code>
              </dd>
            </div>
          </dl>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
      <section aria-labelledby="doctor-title" aria-busy={doctor.value === undefined}>
        <div class="page-head">
          <h2 id="doctor-title">Doctor</h2>
          <button type="button" class="small" onClick={doctor.refresh}>
            Check again
          </button>
        </div>
        <ErrorLine error={doctor.error} />
        {doctor.value ? (
          <>
            <p class={doctor.value.ok ? 'outcome ok' : 'outcome error'}>
              {doctor.value.ok ? 'No check failed.' : 'Some checks failed: see the fixes below.'}
            </p>
            <DoctorTable checks={doctor.value.checks} />
          </>
        ) : (
          <p class="muted">Running the checks…</p>
        )}
      </section>
    </>
  );
}

const MARK = { pass: '✓', warn: '!', fail: '✗' } as const;

function DoctorTable({ checks }: { checks: DoctorCheck[] }) {
  return (
    <div class="table-scroll">
      <table class="doctor">
        <caption class="visually-hidden">Doctor checks</caption>
        <thead>
          <tr>
            <th scope="col">Result</th>
            <th scope="col">Check</th>
            <th scope="col">Detail and fix</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={c.id}>
              <td>
                <span class={`check check-${c.status}`}>
                  <span aria-hidden="true">{MARK[c.status]} </span>
                  {c.status}
                </span>
              </td>
              <th scope="row">{c.title}</th>
              <td class="wrap">
                {c.detail}
                {c.fix && (
                  <p class="fix">
                    <strong>fix:</strong> {c.fix}
                  </p>
                )}
                {c.fixLines && c.fixLines.length > 0 && <pre class="fix-lines">{c.fixLines.join('\n')}</pre>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
