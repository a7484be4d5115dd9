import { useState } from 'preact/hooks';
import { api, messageOf, type VmPorts as Ports } from './api.js';
import { ErrorLine } from './operation-view.js';
import { portProcesses, portReach } from './ports.js';

/**
 * A running VM's listening ports (what `banger vm ports` shows), read by the
 * daemon over SSH, with a link to `http://<vm>.vm:<port>` where DNS routing
 * makes one work. Read when asked, not polled: each reading is an SSH login
 * into the guest, and a guest without sshd (or `ss`) would only repeat why
 * it cannot answer, which shows as one line.
 */
export function VmPorts({ vmId, vmName }: { vmId: string; vmName: string }) {
  const [value, setValue] = useState<Ports>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const load = async () => {
    setLoading(true);
    try {
      setValue(await api.vmPorts(vmId));
      setError(undefined);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoading(false);
    }
  };
  return (
    <section aria-labelledby="ports-title">
      <h2 id="ports-title">Listening ports</h2>
      <div class="toolbar">
        <button type="button" onClick={() => void load()} disabled={loading}>
          {value || error ? 'Read again' : 'Show listening ports'}
        </button>
        {loading && <span class="muted">reading over SSH…</span>}
      </div>
      <ErrorLine error={error} />
      {value === undefined ? null : value.ports.length === 0 ? (
        <p class="muted">Nothing listens in {vmName}.</p>
      ) : (
        <div class="table-scroll">
          <table data-table="ports">
            <caption>Listening ports in {vmName}</caption>
            <thead>
              <tr>
                <th scope="col" class="num">
                  Port
                </th>
                <th scope="col">Protocol</th>
                <th scope="col">Address</th>
                <th scope="col">Process</th>
                <th scope="col">From the host</th>
              </tr>
            </thead>
            <tbody>
              {value.ports.map((p) => {
                const reach = portReach(p, value.dnsRouting.ok);
                return (
                  <tr key={`${p.proto}/${p.address}/${p.port}`} data-port={p.port}>
                    <th scope="row" class="num">
                      {p.port}
                    </th>
                    <td>{p.proto}</td>
                    <td>
                      <code>{p.address}</code>
                    </td>
                    <td>{portProcesses(p)}</td>
                    <td>
                      {reach.kind === 'link' ? (
                        <a href={reach.href} target="_blank" rel="noopener noreferrer">
                          {reach.text}
                        </a>
                      ) : reach.kind === 'text' ? (
                        <code>{reach.text}</code>
                      ) : (
                        <span class="muted">loopback only</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {value && !value.dnsRouting.ok && value.ports.some((p) => p.reachable) && (
        <p class="hint">
          No links: <code>.vm</code> names do not resolve on this host yet. <code>banger doctor</code> says
          how to set up DNS routing.
        </p>
      )}
    </section>
  );
}
