import { describe, expect, it } from 'vitest';
import { createRequest, emptyCreateForm, SIZE_PATTERN, VM_NAME_PATTERN } from './create-form.js';

describe('createRequest', () => {
  it('leaves empty fields to the daemon and always says NAT and wait', () => {
    expect(createRequest(emptyCreateForm)).toEqual({ nat: false, wait: true });
  });

  it('sends what was typed, numbers as numbers and the disk unit in capitals', () => {
    const form = {
      ...emptyCreateForm,
      name: ' gamma ',
      image: 'img',
      vcpu: '2',
      memoryMib: '512',
      diskSize: '4g',
      nat: true,
      wait: false,
    };
    expect(createRequest(form)).toEqual({
      name: 'gamma',
      image: 'img',
      vcpu: 2,
      memoryMib: 512,
      diskSize: '4G',
      nat: true,
      wait: false,
    });
  });

  it('has input patterns that match what the daemon takes (the browser anchors them)', () => {
    const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`, 'v');
    expect(['a', 'web-1', 'x'.repeat(63)].every((n) => whole(VM_NAME_PATTERN).test(n))).toBe(true);
    expect(['-a', 'A', 'a_b', 'x'.repeat(64)].some((n) => whole(VM_NAME_PATTERN).test(n))).toBe(false);
    expect(['16G', '512m', '1024'].every((s) => whole(SIZE_PATTERN).test(s))).toBe(true);
    expect(whole(SIZE_PATTERN).test('16 G')).toBe(false);
  });
});
