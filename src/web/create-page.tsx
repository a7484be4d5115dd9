import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import {
  type CreateFormValues,
  createRequest,
  emptyCreateForm,
  SIZE_PATTERN,
  VM_NAME_PATTERN,
} from './create-form.js';
import { ErrorLine, OperationView } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { vmHref } from './router.js';
import { useOperation } from './use-operation.js';
import { useNow } from './use-poll.js';
import { useUsage } from './use-usage.js';
import type { VmRow } from './vm-rows.js';
import { VmTable } from './vm-table.js';

/** `#/create`: the create form; the progress streams into the page, then the new VM's live row. */
export function CreatePage({ rows }: { rows: VmRow[] | undefined }) {
  const [form, setForm] = useState<CreateFormValues>(emptyCreateForm);
  const [images, setImages] = useState<string[] | undefined>(undefined);
  const [imagesError, setImagesError] = useState<string | undefined>(undefined);
  const [created, setCreated] = useState<string | undefined>(undefined);
  const { op, run, running } = useOperation();

  useEffect(() => {
    api
      .listImages()
      .then(({ images }) => {
        const names = images.map((i) => i.name).sort();
        setImages(names);
        // Like the TUI: the first image is chosen; with none, the daemon's default.
        setForm((f) => (f.image || names.length === 0 ? f : { ...f, image: names[0] ?? '' }));
      })
      .catch((err: unknown) => setImagesError(messageOf(err)));
  }, []);

  const set = <K extends keyof CreateFormValues>(key: K, value: CreateFormValues[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setCreated(undefined);
    const result = await run(
      form.name ? `Creating ${form.name}` : 'Creating a VM',
      ({ onStage, signal }) => api.createVm(createRequest(form), onStage, signal),
      (r) => `created ${r.vm.name}`,
      { cancellable: true },
    );
    if (result) {
      setCreated(result.vm.name);
      setForm((f) => ({ ...f, name: '' }));
    }
  };

  const newRow = rows?.filter((r) => r.vm.name === created) ?? [];
  return (
    <>
      <PageTitle title="Create a VM" />
      <form class="create" onSubmit={submit} aria-describedby="create-hint">
        <p id="create-hint" class="muted">
          Empty fields take the daemon's defaults (<code>[vm_defaults]</code> in the config, then what the
          host can give).
        </p>
        <div class="form-grid">
          <label for="vm-name">Name</label>
          <div>
            <input
              id="vm-name"
              name="name"
              value={form.name}
              pattern={VM_NAME_PATTERN}
              placeholder="generated"
              autocomplete="off"
              spellcheck={false}
              aria-describedby="vm-name-hint"
              onInput={(e) => set('name', e.currentTarget.value)}
            />
            <p id="vm-name-hint" class="hint">
              Lowercase letters, digits and dashes; empty for an adjective-animal name.
            </p>
          </div>

          <label for="vm-image">Image</label>
          <div>
            <select id="vm-image" value={form.image} onChange={(e) => set('image', e.currentTarget.value)}>
              {images?.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
              <option value="">the default image (config)</option>
            </select>
            <ErrorLine error={imagesError} />
          </div>

          <label for="vm-vcpu">vCPU</label>
          <input
            id="vm-vcpu"
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={form.vcpu}
            placeholder="default"
            onInput={(e) => set('vcpu', e.currentTarget.value)}
          />

          <label for="vm-memory">Memory (MiB)</label>
          <input
            id="vm-memory"
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={form.memoryMib}
            placeholder="default"
            onInput={(e) => set('memoryMib', e.currentTarget.value)}
          />

          <label for="vm-disk">Disk size</label>
          <div>
            <input
              id="vm-disk"
              value={form.diskSize}
              pattern={SIZE_PATTERN}
              placeholder="default"
              autocomplete="off"
              aria-describedby="vm-disk-hint"
              onInput={(e) => set('diskSize', e.currentTarget.value)}
            />
            <p id="vm-disk-hint" class="hint">
              A size such as <code>16G</code> or <code>512M</code>.
            </p>
          </div>

          <span />
          <div class="checks">
            <label class="toggle">
              <input
                type="checkbox"
                checked={form.nat}
                onChange={(e) => set('nat', e.currentTarget.checked)}
              />
              NAT (outbound internet)
            </label>
            <label class="toggle">
              <input
                type="checkbox"
                checked={form.wait}
                onChange={(e) => set('wait', e.currentTarget.checked)}
              />
              Wait for SSH
            </label>
          </div>
        </div>
        <div class="toolbar">
          <button type="submit" class="primary" disabled={running}>
            Create
          </button>
          <a href="#/">Back to the VMs</a>
        </div>
      </form>
      <OperationView op={op} label="Create progress" />
      {created && (
        <section aria-label="The new VM">
          {newRow.length > 0 && <NewVmRow rows={newRow} />}
          <p>
            <a href={vmHref(created)}>Open {created}</a>
          </p>
        </section>
      )}
    </>
  );
}

/** The new VM's row, live like the list's. */
function NewVmRow({ rows }: { rows: VmRow[] }) {
  const usage = useUsage(rows);
  const now = useNow();
  return <VmTable rows={rows} usage={usage} now={now} caption="The new VM" />;
}
