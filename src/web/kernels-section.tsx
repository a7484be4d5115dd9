import type { KernelInfo } from '../api/images.js';
import { api } from './api.js';
import { DeleteButton, useArtifactDelete } from './artifact-parts.js';
import { NameLinks } from './fields.js';
import { formatTime } from './format.js';
import { ErrorLine, OperationView } from './operation-view.js';
import { imageHref, kernelHref } from './router.js';
import { useOperation } from './use-operation.js';
import { ARTIFACTS_POLL_MS, usePoll } from './use-poll.js';

/** Kernel sets: the list, the catalog with a pull button each, delete after a confirmation. */
export function KernelsSection() {
  const kernels = usePoll(() => api.listKernels(), ARTIFACTS_POLL_MS, 'kernels');
  const catalog = usePoll(() => api.availableKernels(), ARTIFACTS_POLL_MS, 'kernel-catalog');
  const refresh = () => {
    kernels.refresh();
    catalog.refresh();
  };
  const del = useArtifactDelete('kernel', refresh);
  const { op, run, running } = useOperation();
  const pull = async (name: string) => {
    await run(
      `Pulling kernel ${name}`,
      ({ onStage, signal }) => api.pullKernel(name, onStage, signal),
      (k) => `kernel ${k.name} pulled (${k.version})`,
      { cancellable: true },
    );
    refresh();
  };

  const notPulled = catalog.value?.kernels.filter((k) => !k.pulled) ?? [];
  return (
    <section aria-labelledby="kernels-title">
      <h2 id="kernels-title">Kernels</h2>
      <ErrorLine error={kernels.error ?? catalog.error} />
      {kernels.value === undefined ? (
        <p class="muted">Loading…</p>
      ) : kernels.value.kernels.length === 0 ? (
        <p class="muted">No kernel sets yet.</p>
      ) : (
        <KernelTable kernels={kernels.value.kernels} onDelete={del.remove} busy={running || del.running} />
      )}
      {notPulled.length > 0 && (
        <>
          <h3>Kernels banger can fetch</h3>
          <ul class="catalog">
            {notPulled.map((k) => (
              <li key={k.name}>
                <span>
                  <strong>{k.name}</strong>: {k.description}
                </span>
                <button type="button" class="small" disabled={running} onClick={() => pull(k.name)}>
                  Pull<span class="visually-hidden"> kernel {k.name}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {del.view}
      <OperationView op={op} label="Kernel pull progress" />
    </section>
  );
}

function KernelTable({
  kernels,
  onDelete,
  busy,
}: {
  kernels: KernelInfo[];
  onDelete: (name: string) => void;
  busy: boolean;
}) {
  return (
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">Kernel sets</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Version</th>
            <th scope="col">Used by</th>
            <th scope="col" class="optional">
              Created
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {kernels.map((k) => (
            <tr key={k.name}>
              <th scope="row">
                <a href={kernelHref(k.name)}>{k.name}</a>
              </th>
              <td class="mono">{k.version}</td>
              <td>
                <NameLinks names={k.usedBy} href={imageHref} />
              </td>
              <td class="optional">{formatTime(k.createdAt)}</td>
              <td>
                <DeleteButton kind="kernel" name={k.name} onDelete={onDelete} busy={busy} small />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
