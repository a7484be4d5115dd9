import { describe, expect, it } from 'vitest';
import {
  isControl,
  TerminalSanitizer,
  terminalSafe,
  terminalSafeJson,
  terminalSafeStream,
} from './terminal-safe.js';

/** Whether `text` holds a character a terminal acts on, other than newline and tab. */
const active = (text: string) => [...text].some((ch) => isControl(ch) && ch !== '\n' && ch !== '\t');

describe('terminalSafe', () => {
  it('makes C0, DEL and C1 controls visible, and leaves other text alone', () => {
    expect(terminalSafe('nginx\x1b]0;pwned\x07')).toBe('nginx\\x1b]0;pwned\\x07');
    expect(terminalSafe('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(terminalSafe('\0\x7f\u009b\u0085')).toBe('\\x00\\x7f\\u009b\\u0085');
    expect(terminalSafe('tab\there\nline\r')).toBe('tab\\there\\nline\\r');
    expect(terminalSafe('café 名前 🚀 back\\slash')).toBe('café 名前 🚀 back\\slash');
  });
});

describe('terminalSafeJson', () => {
  it('escapes what JSON.stringify leaves raw, keeping the same value', () => {
    const value = { name: 'x\u009b2J\x7f\x1b\n', list: [1] };
    const json = terminalSafeJson(JSON.stringify(value, null, 2));
    expect(json.split('\n')).toHaveLength(6);
    expect(active(json)).toBe(false);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('TerminalSanitizer', () => {
  const run = (...chunks: (string | Buffer)[]) => {
    const s = new TerminalSanitizer();
    return chunks.map((c) => s.write(Buffer.isBuffer(c) ? c : Buffer.from(c))).join('') + s.end();
  };

  it('keeps newlines, tabs and colours; turns CRLF into LF', () => {
    expect(run('[  \x1b[0;32mOK  \x1b[0m ] Started\r\n\tnext\n')).toBe(
      '[  \x1b[0;32mOK  \x1b[0m ] Started\n\tnext\n',
    );
  });

  it('makes other escape sequences and controls visible', () => {
    const out = run('a\x1b]0;pwned\x07b\x1b[2Jc\x1b[Hd\rX\x08\u009b31m');
    expect(out).toBe('a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x1b[Hd\\rX\\x08\\u009b31m');
    expect(active(out)).toBe(false);
  });

  it('handles sequences, CRLF and UTF-8 split across chunks', () => {
    expect(run('a\x1b', '[3', '1mred\r', '\nb')).toBe('a\x1b[31mred\nb');
    expect(run('x\x1b[', '2J')).toBe('x\\x1b[2J');
    const euro = Buffer.from('€');
    expect(run(euro.subarray(0, 1), euro.subarray(1))).toBe('€');
    // C1 as UTF-8 split between its two bytes.
    expect(run(Buffer.from([0xc2]), Buffer.from([0x9b]))).toBe('\\u009b');
  });

  it('makes what is still held at the end visible', () => {
    expect(run('end\x1b[1')).toBe('end\\x1b[1');
    expect(run('end\r')).toBe('end\\r');
  });

  it('does not treat invalid UTF-8 as C1 controls', () => {
    expect(run(Buffer.from([0x9b, 0x32, 0x4a]))).toBe('\ufffd2J');
  });
});

describe('terminalSafeStream', () => {
  it('transforms a stream of chunks', async () => {
    async function* chunks() {
      yield Buffer.from('boot\r\n\x1b]0;');
      yield Buffer.from('pwned\x07\x1b');
      yield Buffer.from('[2Jok\n');
    }
    let out = '';
    for await (const text of terminalSafeStream(chunks())) out += text;
    expect(out).toBe('boot\n\\x1b]0;pwned\\x07\\x1b[2Jok\n');
  });
});
