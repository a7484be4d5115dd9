import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { validateImageName, validateKernelName } from './image.js';

describe('image and kernel names', () => {
  it('accepts DNS-label-like names', () => {
    for (const ok of ['debian-bookworm', 'a', '0x', 'a'.repeat(63)]) expect(validateImageName(ok)).toBe(ok);
  });

  it('refuses anything else with invalid_argument and the rule', () => {
    for (const bad of ['', '-a', 'A', 'a_b', 'a/b', '..', 'a.b', 'a'.repeat(64), 'debian:bookworm']) {
      const err = errorOf(() => validateImageName(bad));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(/^invalid image name .*lowercase letters, digits and dashes/);
    }
    expect(errorOf(() => validateKernelName('../x')).message).toMatch(/^invalid kernel name/);
  });
});
