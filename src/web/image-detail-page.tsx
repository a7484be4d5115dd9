import type { ImageDetail } from '../api/images.js';
import { api } from './api.js';
import { ArtifactsBreadcrumb, DeleteButton, NoSuchArtifact, useArtifactDelete } from './artifact-parts.js';
import { imageSourceFields } from './artifacts.js';
import { Field, PathText } from './fields.js';
import { formatBytes, formatTime } from './format.js';
import { ErrorLine } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { kernelHref, vmHref } from './router.js';
import { ARTIFACTS_POLL_MS, usePoll } from './use-poll.js';

/** `#/images/<name>`: what `banger image show NAME` shows, the VMs using it, and Delete. */
export function ImageDetailPage({ name }: { name: string }) {
  const image = usePoll(() => api.showImage(name), ARTIFACTS_POLL_MS, name);
  const del = useArtifactDelete('image', (deleted) => {
    if (deleted) location.assign('#/images');
    else image.refresh();
  });
  if (image.errorCode === 'not_found') return <NoSuchArtifact kind="image" name={name} />;
  return (
    <>
      <ArtifactsBreadcrumb />
      <PageTitle title={name} />
      <ErrorLine error={image.error} />
      {image.value === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="toolbar">
            <DeleteButton kind="image" name={name} onDelete={del.remove} busy={del.running} />
          </div>
          {del.view}
          <div class="columns">
            <section aria-labelledby="image-details-title">
              <h2 id="image-details-title">Details</h2>
              <ImageFields image={image.value} />
            </section>
            <section aria-labelledby="image-users-title">
              <h2 id="image-users-title">Used by</h2>
              <UsedBy vms={image.value.usedBy} />
            </section>
          </div>
        </>
      )}
    </>
  );
}

function ImageFields({ image }: { image: ImageDetail }) {
  const { kernel } = image;
  return (
    <dl class="fields">
      {imageSourceFields(image).map(([label, value]) => (
        <Field key={label} label={label}>
          {label === 'Source' ? value : <code class="wrap">{value}</code>}
        </Field>
      ))}
      <Field label="Files">
        {image.managed ? 'managed by banger (removed with the image)' : 'registered (stay where they are)'}
      </Field>
      <Field label="Rootfs">
        <PathText path={image.rootfs} />
      </Field>
      <Field label="Work seed">
        <PathText path={image.workSeed} />
      </Field>
      <Field label="Kernel">
        {kernel.kind === 'set' ? (
          <>
            set <a href={kernelHref(kernel.name)}>{kernel.name}</a>
          </>
        ) : (
          'its own files'
        )}
      </Field>
      {kernel.kind === 'files' && (
        <>
          <Field label="vmlinux">
            <PathText path={kernel.vmlinux} />
          </Field>
          <Field label="initrd">
            <PathText path={kernel.initrd} />
          </Field>
          <Field label="Modules">
            <PathText path={kernel.modulesDir} />
          </Field>
        </>
      )}
      <Field label="Kernel version">
        <code>{image.kernelVersion}</code>
      </Field>
      <Field label="Size">{formatBytes(image.sizeBytes)}</Field>
      <Field label="Created">{formatTime(image.createdAt)}</Field>
    </dl>
  );
}

function UsedBy({ vms }: { vms: string[] }) {
  if (vms.length === 0) return <p class="muted">No VM uses it.</p>;
  return (
    <ul class="name-list" aria-label="VMs using this image">
      {vms.map((vm) => (
        <li key={vm}>
          <a href={vmHref(vm)}>{vm}</a>
        </li>
      ))}
    </ul>
  );
}
