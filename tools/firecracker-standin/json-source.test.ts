import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJson, toPlain } from './json-source.js';

function syntaxError(text: string): string {
  try {
    parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return `${err.message} at ${err.pos.line}:${err.pos.column}`;
    throw err;
  }
  throw new Error(`${text} parsed`);
}

describe('parseJson', () => {
  it('returns plain values equal to JSON.parse', () => {
    const text = '{"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "x\\ny\\u0041"}}';
    expect(toPlain(parseJson(text))).toEqual(JSON.parse(text));
  });

  it('records where keys and values end, 1-based like serde_json', () => {
    const node = parseJson('{"vcpu_count": 2,\n "mem": "x"}');
    if (node.kind !== 'object') throw new Error('not an object');
    const [first, second] = node.entries;
    expect(first?.keyEnd).toEqual({ line: 1, column: 13 });
    expect(first?.value.end).toEqual({ line: 1, column: 16 });
    expect(second?.keyEnd).toEqual({ line: 2, column: 6 });
    expect(second?.value.end).toEqual({ line: 2, column: 11 });
    expect(node.end).toEqual({ line: 2, column: 12 });
  });

  it('keeps integers apart from floats and keeps duplicate keys', () => {
    const node = parseJson('{"a": 2, "a": 2.0}');
    if (node.kind !== 'object') throw new Error('not an object');
    expect(node.entries.map((e) => e.value.kind === 'number' && e.value.isInteger)).toEqual([true, false]);
  });

  it.each([
    ['', 'EOF while parsing a value at 1:0'],
    ['nope', 'expected ident at 1:2'],
    ['{"a": 1,}', 'trailing comma at 1:9'],
    ['[1,]', 'trailing comma at 1:4'],
    ['{"a" 1}', 'expected `:` at 1:6'],
    ['{"a": 1 "b": 2}', 'expected `,` or `}` at 1:9'],
    ['{a: 1}', 'key must be a string at 1:2'],
    ['{"a": 1} x', 'trailing characters at 1:10'],
    ['{"a": "b', 'EOF while parsing a string at 1:8'],
    ['{"a": 01}', 'expected `,` or `}` at 1:8'],
    ['"\\q"', 'invalid escape at 1:3'],
  ])('reports %j as %s', (text, expected) => {
    expect(syntaxError(text)).toBe(expected);
  });
});
