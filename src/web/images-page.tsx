import { useState } from 'preact/hooks';
import type { ImageInfo } from '../api/images.js';
import { api } from './api.js';
import { DeleteButton, useArtifactDelete } from './artifact-parts.js';
import { sourceSummary } from './artifacts.js';
import { formatBytes, formatTime } from './format.js';
import { KernelsSection } from './kernels-section.js';
import { ErrorLine, OperationView } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { imageHref, kernelHref } from './router.js';
import { useOperation } from './use-operation.js';
import { ARTIFACTS_POLL_MS, usePoll } from './use-poll.js';

/** `#/images`: images (list, pull with streamed progress, delete) and kernel sets. */
export function ImagesPage() {
  const images = usePoll(() => api.listImages(), ARTIFACTS_POLL_MS, 'images');
  const catalog = usePoll(() => api.availableImages(), 60_000, 'catalog');
  const del = useArtifactDelete('image', () => images.refresh());

  return (
    <>
      <PageTitle title="Images and kernels" />
      <section aria-labelledby="images-title">
        <h2 id="images-title">Images</h2>
        <ErrorLine error={images.error} />
        {images.value === undefined ? (
          <p class="muted">Loading…</p>
        ) : images.value.images.length === 0 ? (
          <p class="muted">No images yet: pull one below.</p>
        ) : (
          <ImageTable images={images.value.images} onDelete={del.remove} />
        )}
        {del.view}
        <PullImageForm catalog={catalog.value?.images.map((i) => i.name) ?? []} onPulled={images.refresh} />
      </section>
      <KernelsSection />
    </>
  );
}

function ImageTable({ images, onDelete }: { images: ImageInfo[]; onDelete: (name: string) => void }) {
  const sorted = [...images].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">Images</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Source</th>
            <th scope="col">Kernel</th>
            <th scope="col" class="optional">
              Created
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((image) => (
            <tr key={image.name} data-image={image.name}>
              <th scope="row">
                <a href={imageHref(image.name)}>{image.name}</a>
              </th>
              <td class="num">{formatBytes(image.sizeBytes)}</td>
              <td class="wrap">{sourceSummary(image)}</td>
              <td>
                {image.kernel.kind === 'set' ? (
                  <a href={kernelHref(image.kernel.name)}>{image.kernel.name}</a>
                ) : (
                  `own (${image.kernel.version})`
                )}
              </td>
              <td class="optional">{formatTime(image.createdAt)}</td>
              <td>
                <DeleteButton kind="image" name={image.name} onDelete={onDelete} small />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Pull by catalog name or OCI reference; the stages stream into the page. */
function PullImageForm({ catalog, onPulled }: { catalog: string[]; onPulled: () => void }) {
  const [ref, setRef] = useState('');
  const [name, setName] = useState('');
  const [insecure, setInsecure] = useState(false);
  const { op, run, running } = useOperation();
  const submit = async (e: Event) => {
    e.preventDefault();
    const request = { ref: ref.trim(), ...(name.trim() ? { name: name.trim() } : {}), insecure };
    const image = await run(
      `Pulling ${request.ref}`,
      ({ onStage, signal }) => api.pullImage(request, onStage, signal),
      (i) => `image ${i.name} pulled (${formatBytes(i.sizeBytes)})`,
      { cancellable: true },
    );
    if (image) onPulled();
  };
  return (
    <form class="pull" onSubmit={submit} aria-labelledby="pull-image-title">
      <h3 id="pull-image-title">Pull an image</h3>
      <div class="form-grid">
        <label for="pull-ref">Name or reference</label>
        <div>
          <input
            id="pull-ref"
            required
            list="image-catalog"
            value={ref}
            autocomplete="off"
            spellcheck={false}
            aria-describedby="pull-ref-hint"
            onInput={(e) => setRef(e.currentTarget.value)}
          />
          <datalist id="image-catalog">
            {catalog.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <p id="pull-ref-hint" class="hint">
            A catalog name (<code>debian-bookworm</code>: the golden build) or an OCI reference such as{' '}
            <code>docker.io/library/alpine:3.20</code>.
          </p>
        </div>
        <label for="pull-name">Save as</label>
        <input
          id="pull-name"
          value={name}
          placeholder="named after the reference"
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <span />
        <label class="toggle">
          <input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.currentTarget.checked)} />
          Plain HTTP registry (insecure)
        </label>
      </div>
      <div class="toolbar">
        <button type="submit" class="primary" disabled={running}>
          Pull
        </button>
      </div>
      <OperationView op={op} label="Image pull progress" />
    </form>
  );
}
