import { describe, expect, it } from 'vitest';
import { colour, stateColour } from './theme.js';

describe('theme', () => {
  it('gives colours, and none at all when NO_COLOR is set', () => {
    expect(colour('red', {})).toBe('red');
    expect(stateColour('running', {})).toBe('green');
    expect(stateColour('stopped', {})).toBe('gray');
    expect(stateColour('creating', {})).toBe('yellow');
    expect(colour('red', { NO_COLOR: '1' })).toBeUndefined();
    expect(stateColour('running', { NO_COLOR: '1' })).toBeUndefined();
    // no-color.org: an empty NO_COLOR does not count
    expect(colour('red', { NO_COLOR: '' })).toBe('red');
  });
});
