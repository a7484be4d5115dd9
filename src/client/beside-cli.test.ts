import { describe, expect, it } from 'vitest';
import { besideCli } from './beside-cli.js';

describe('besideCli', () => {
  it('finds a shipped file next to the bundle, from the bundle and from a lazily loaded chunk', () => {
    expect(besideCli('banger-root.mjs', 'file:///opt/banger/dist/banger.js')).toBe(
      '/opt/banger/dist/banger-root.mjs',
    );
    expect(besideCli('banger-root.mjs', 'file:///opt/banger/dist/chunks/local-AB12.js')).toBe(
      '/opt/banger/dist/banger-root.mjs',
    );
    expect(besideCli('bangerd.js', 'file:///home/me/x/dist/banger.js')).toBe('/home/me/x/dist/bangerd.js');
  });
});
