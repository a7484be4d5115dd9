import { api } from './api.js';
import { useConfirm } from './confirm-dialog.js';
import { OperationView } from './operation-view.js';
import { PageTitle } from './page-title.js';
import { useOperation } from './use-operation.js';

/** What the images page lists besides VMs: images and kernel sets. */
export type ArtifactKind = 'image' | 'kernel';

const deletion = {
  image: {
    body: 'Its managed files are removed; files of a registered image stay where they are.',
    call: api.deleteImage,
    label: 'Image deletion',
  },
  kernel: {
    body: 'Its kernel set (vmlinux, initrd, modules) is removed. Refused while an image uses it.',
    call: api.deleteKernel,
    label: 'Kernel deletion',
  },
} as const;

/**
 * Deleting an image or a kernel set, the same from its list and its page:
 * the confirmation dialog, then the request, whose outcome (the daemon's
 * one-line refusal, e.g. while something uses it) shows in `view`.
 * `onDone(deleted)` follows either way. Put `view` where the outcome belongs.
 */
export function useArtifactDelete(kind: ArtifactKind, onDone: (deleted: boolean) => void) {
  const { ask, dialog } = useConfirm();
  const { op, run, running } = useOperation();
  const d = deletion[kind];
  const remove = async (name: string) => {
    const ok = await ask({ title: `Delete ${kind} ${name}?`, body: d.body, action: 'Delete' });
    if (!ok) return;
    const result = await run(
      `Deleting ${kind} ${name}`,
      () => d.call(name),
      () => `deleted ${kind} ${name}`,
    );
    onDone(result !== undefined);
  };
  const view = (
    <>
      <OperationView op={op} label={d.label} />
      {dialog}
    </>
  );
  return { remove, running, view };
}

/** The Delete button of an image or a kernel set; its accessible name says which. */
export function DeleteButton({
  kind,
  name,
  onDelete,
  busy = false,
  small = false,
}: {
  kind: ArtifactKind;
  name: string;
  onDelete: (name: string) => void;
  busy?: boolean;
  small?: boolean;
}) {
  return (
    <button
      type="button"
      class={small ? 'small danger' : 'danger'}
      disabled={busy}
      onClick={() => onDelete(name)}
    >
      Delete
      <span class="visually-hidden">
        {' '}
        {kind} {name}
      </span>
      …
    </button>
  );
}

/** An image or kernel page whose name the daemon does not know: one line and the way back. */
export function NoSuchArtifact({ kind, name }: { kind: ArtifactKind; name: string }) {
  return (
    <>
      <PageTitle title={name} />
      <p>
        There is no {kind} named <code>{name}</code>. <a href="#/images">Back to images and kernels</a>
      </p>
    </>
  );
}

/** The link back to the list, above a detail page's heading. */
export function ArtifactsBreadcrumb() {
  return (
    <p class="breadcrumb">
      <a href="#/images">Images and kernels</a> /
    </p>
  );
}
