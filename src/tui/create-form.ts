import type { CreateVmRequest } from '../api/vms.js';

/**
 * The create form as data: its fields, which one has the focus, and how
 * keys edit it. Empty text fields mean "the daemon's default" (config
 * `vm_defaults`, then what the host can give), exactly like omitted CLI flags.
 */
export interface CreateForm {
  name: string;
  /** One of `images` (index into it); -1 when there are none: the daemon's default image. */
  imageIndex: number;
  images: string[];
  vcpu: string;
  memoryMib: string;
  diskSize: string;
  nat: boolean;
  /** Wait for the guest's SSH before the create counts as done (like `vm create` without --no-wait). */
  wait: boolean;
  focus: FieldId;
}

export const FIELDS = ['name', 'image', 'vcpu', 'memoryMib', 'diskSize', 'nat', 'wait'] as const;
export type FieldId = (typeof FIELDS)[number];

export const FIELD_LABELS: Record<FieldId, string> = {
  name: 'name',
  image: 'image',
  vcpu: 'vCPU',
  memoryMib: 'memory MiB',
  diskSize: 'disk size',
  nat: 'NAT',
  wait: 'wait for SSH',
};

export function newCreateForm(images: string[]): CreateForm {
  return {
    name: '',
    imageIndex: images.length > 0 ? 0 : -1,
    images,
    vcpu: '',
    memoryMib: '',
    diskSize: '',
    nat: false,
    wait: true,
    focus: 'name',
  };
}

/** The form once the image list has arrived; a choice already made is kept when it is still listed. */
export function withImages(form: CreateForm, images: string[]): CreateForm {
  const chosen = form.images[form.imageIndex];
  const kept = chosen === undefined ? -1 : images.indexOf(chosen);
  return { ...form, images, imageIndex: kept >= 0 ? kept : images.length > 0 ? 0 : -1 };
}

export function moveFocus(form: CreateForm, delta: number): CreateForm {
  const index = (FIELDS.indexOf(form.focus) + delta + FIELDS.length) % FIELDS.length;
  return { ...form, focus: FIELDS[index] ?? 'name' };
}

const TEXT_FIELDS = {
  name: /^[a-z0-9-]$/,
  vcpu: /^[0-9]$/,
  memoryMib: /^[0-9]$/,
  diskSize: /^[0-9KMGTkmgt]$/,
};

/** A typed character: accepted only where it can be part of a valid value. */
export function typeChar(form: CreateForm, ch: string): CreateForm {
  const field = form.focus;
  if (field in TEXT_FIELDS) {
    const key = field as keyof typeof TEXT_FIELDS;
    if (!TEXT_FIELDS[key].test(ch)) return form;
    const value = field === 'diskSize' ? ch.toUpperCase() : ch;
    return { ...form, [key]: form[key] + value };
  }
  if (ch === ' ') return cycle(form, 1);
  return form;
}

export function backspace(form: CreateForm): CreateForm {
  const field = form.focus;
  if (!(field in TEXT_FIELDS)) return form;
  const key = field as keyof typeof TEXT_FIELDS;
  return { ...form, [key]: form[key].slice(0, -1) };
}

/** ←/→ or space on a choice: the next image, or the flag toggled. */
export function cycle(form: CreateForm, delta: number): CreateForm {
  switch (form.focus) {
    case 'image': {
      if (form.images.length === 0) return form;
      const n = form.images.length;
      return { ...form, imageIndex: (form.imageIndex + delta + n) % n };
    }
    case 'nat':
      return { ...form, nat: !form.nat };
    case 'wait':
      return { ...form, wait: !form.wait };
    default:
      return form;
  }
}

/** The value shown for a field; empty text fields show what they mean. */
export function fieldText(form: CreateForm, field: FieldId): string {
  switch (field) {
    case 'image':
      return form.images[form.imageIndex] ?? '(default image)';
    case 'nat':
      return form.nat ? 'yes' : 'no';
    case 'wait':
      return form.wait ? 'yes' : 'no';
    case 'name':
      return form.name || '(generated)';
    default:
      return form[field] || '(default)';
  }
}

/** The request for the daemon; it validates names and bounds and answers with one line when they are wrong. */
export function createRequest(form: CreateForm): CreateVmRequest {
  const image = form.images[form.imageIndex];
  return {
    ...(form.name ? { name: form.name } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(form.vcpu ? { vcpu: Number(form.vcpu) } : {}),
    ...(form.memoryMib ? { memoryMib: Number(form.memoryMib) } : {}),
    ...(form.diskSize ? { diskSize: form.diskSize } : {}),
    nat: form.nat,
    wait: form.wait,
  };
}
