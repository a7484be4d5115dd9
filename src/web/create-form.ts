import type { CreateVmRequest } from '../api/vms.js';

/**
 * The create form's values as typed. Empty text fields mean "the daemon's
 * default" (config `vm_defaults`, then what the host can give), exactly like
 * omitted CLI flags; the daemon validates names and bounds and answers with
 * one line when something is wrong.
 */
export interface CreateFormValues {
  name: string;
  /** An image name; '' is the daemon's default image (`default_image_name`). */
  image: string;
  vcpu: string;
  memoryMib: string;
  diskSize: string;
  nat: boolean;
  /** Wait for the guest's SSH before the create counts as done (like `vm create` without --no-wait). */
  wait: boolean;
}

export const emptyCreateForm: CreateFormValues = {
  name: '',
  image: '',
  vcpu: '',
  memoryMib: '',
  diskSize: '',
  nat: false,
  wait: true,
};

/** The same names the daemon accepts: lowercase letters, digits and dashes, 1-63, not starting with a dash. */
export const VM_NAME_PATTERN = '[a-z0-9][a-z0-9\\-]{0,62}';
/** A size with an optional binary unit, as `--disk-size` takes it. */
export const SIZE_PATTERN = '[0-9]+[KMGTkmgt]?';

export function createRequest(form: CreateFormValues): CreateVmRequest {
  const name = form.name.trim();
  const diskSize = form.diskSize.trim().toUpperCase();
  return {
    ...(name ? { name } : {}),
    ...(form.image ? { image: form.image } : {}),
    ...(form.vcpu ? { vcpu: Number(form.vcpu) } : {}),
    ...(form.memoryMib ? { memoryMib: Number(form.memoryMib) } : {}),
    ...(diskSize ? { diskSize } : {}),
    nat: form.nat,
    wait: form.wait,
  };
}
