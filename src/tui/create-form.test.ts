import { describe, expect, it } from 'vitest';
import {
  backspace,
  createRequest,
  cycle,
  fieldText,
  moveFocus,
  newCreateForm,
  typeChar,
  withImages,
} from './create-form.js';

const type = (form: ReturnType<typeof newCreateForm>, text: string) => [...text].reduce(typeChar, form);

describe('create form', () => {
  it('sends only what was filled in: empty fields are the daemon defaults', () => {
    const form = newCreateForm([]);
    expect(createRequest(form)).toEqual({ nat: false, wait: true });
    expect(fieldText(form, 'name')).toBe('(generated)');
    expect(fieldText(form, 'image')).toBe('(default image)');
    expect(fieldText(form, 'vcpu')).toBe('(default)');
  });

  it('builds the request from every field', () => {
    let form = newCreateForm(['alpine', 'debian']);
    form = type(form, 'web-1');
    form = cycle(moveFocus(form, 1), 1);
    form = type(moveFocus(form, 1), '2');
    form = type(moveFocus(form, 1), '512');
    form = type(moveFocus(form, 1), '4g');
    form = cycle(moveFocus(form, 1), 1);
    form = typeChar(moveFocus(form, 1), ' ');
    expect(createRequest(form)).toEqual({
      name: 'web-1',
      image: 'debian',
      vcpu: 2,
      memoryMib: 512,
      diskSize: '4G',
      nat: true,
      wait: false,
    });
  });

  it('accepts only characters that can be part of the field', () => {
    let form = type(newCreateForm([]), 'Ab_c.1');
    expect(form.name).toBe('bc1');
    form = type(moveFocus(moveFocus(form, 1), 1), 'x2y');
    expect(form.vcpu).toBe('2');
    expect(backspace(form).vcpu).toBe('');
    expect(backspace(moveFocus(form, 4))).toEqual(moveFocus(form, 4)); // NAT has no text
  });

  it('focus wraps around both ways', () => {
    const form = newCreateForm([]);
    expect(moveFocus(form, -1).focus).toBe('wait');
    expect(moveFocus(moveFocus(form, -1), 1).focus).toBe('name');
  });

  it('cycles images both ways and ignores cycling on a text field', () => {
    const form = moveFocus(newCreateForm(['a', 'b', 'c']), 1);
    expect(cycle(form, -1).imageIndex).toBe(2);
    expect(cycle(cycle(form, 1), 1).imageIndex).toBe(2);
    expect(cycle(newCreateForm(['a']), 1)).toEqual(newCreateForm(['a']));
  });

  it('keeps the chosen image when the list arrives again', () => {
    let form = cycle(moveFocus(newCreateForm(['a', 'b']), 1), 1);
    form = withImages(form, ['x', 'b']);
    expect(fieldText(form, 'image')).toBe('b');
    expect(withImages(newCreateForm([]), ['x']).imageIndex).toBe(0);
    expect(withImages(form, []).imageIndex).toBe(-1);
  });
});
