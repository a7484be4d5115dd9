import { adjectives, animals, uniqueNamesGenerator } from 'unique-names-generator';
import { VM_NAME_RE } from '../../../domain/vm.js';

/** A generated VM name such as `brave-otter`, not in `taken`; digits are appended after collisions. */
export function generateVmName(taken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = uniqueNamesGenerator({ dictionaries: [adjectives, animals], separator: '-', length: 2 })
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '');
    const name = attempt < 10 ? base : `${base}-${attempt}`;
    if (VM_NAME_RE.test(name) && !taken(name)) return name;
  }
  throw new Error('could not generate a free VM name');
}
