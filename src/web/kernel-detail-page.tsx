import type { KernelInfo } from '../api/images.js';
import { api } from './api.js';
import { ArtifactsBreadcrumb, DeleteButton, NoSuchArtifact, useArtifactDelete } from './artifact-parts.js';
import { kernelSourceFields } from './artifacts.js';
import { Field, PathText } from './fields.js';
import { formatTime } from './format.js';
import { ErrorLine } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { imageHref } from './router.js';
import { ARTIFACTS_POLL_MS, usePoll } from './use-poll.js';

/** `#/kernels/<name>`: what `banger kernel show NAME` shows, the images using it, and Delete. */
export function KernelDetailPage({ name }: { name: string }) {
  const kernel = usePoll(() => api.showKernel(name), ARTIFACTS_POLL_MS, name);
  const del = useArtifactDelete('kernel', (deleted) => {
    if (deleted) location.assign('#/images');
    else kernel.refresh();
  });
  if (kernel.errorCode === 'not_found') return <NoSuchArtifact kind="kernel" name={name} />;
  const k = kernel.value;
  return (
    <>
      <ArtifactsBreadcrumb />
      <PageTitle title={name} />
      <ErrorLine error={kernel.error} />
      {k === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="toolbar">
            <DeleteButton kind="kernel" name={name} onDelete={del.remove} busy={del.running} />
          </div>
          {del.view}
          <div class="columns">
            <section aria-labelledby="kernel-details-title">
              <h2 id="kernel-details-title">Details</h2>
              <KernelFields kernel={k} />
            </section>
            <section aria-labelledby="kernel-users-title">
              <h2 id="kernel-users-title">Used by</h2>
              {k.usedBy.length === 0 ? (
                <p class="muted">No image uses it.</p>
              ) : (
                <ul class="name-list" aria-label="Images using this kernel">
                  {k.usedBy.map((image) => (
                    <li key={image}>
                      <a href={imageHref(image)}>{image}</a>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
          {k.initrdModules.length > 0 && (
            <section aria-labelledby="kernel-modules-title">
              <h2 id="kernel-modules-title">Initramfs modules ({k.initrdModules.length})</h2>
              <ul class="module-list">
                {k.initrdModules.map((m) => (
                  <li key={m}>
                    <code>{m}</code>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </>
  );
}

function KernelFields({ kernel }: { kernel: KernelInfo }) {
  return (
    <dl class="fields">
      <Field label="Version">
        <code>{kernel.version}</code>
      </Field>
      {kernelSourceFields(kernel.source).map(([label, value]) => (
        <Field key={label} label={label}>
          {label === 'Source' ? value : <code class="wrap">{value}</code>}
        </Field>
      ))}
      <Field label="Directory">
        <PathText path={kernel.dir} />
      </Field>
      <Field label="vmlinux">
        <PathText path={kernel.vmlinux} />
      </Field>
      <Field label="initrd">
        <PathText path={kernel.initrd} />
      </Field>
      <Field label="Modules">
        <PathText path={kernel.modulesDir} />
      </Field>
      <Field label="Created">{formatTime(kernel.createdAt)}</Field>
    </dl>
  );
}
