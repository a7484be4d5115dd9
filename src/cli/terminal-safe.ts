import { StringDecoder } from 'node:string_decoder';

/**
 * Text that came out of a guest (process names, console output) is the
 * guest's to choose. Written raw to a terminal, control characters act:
 * `ESC ] 0 ; … BEL` retitles the window, `ESC [ 2 J` clears the screen,
 * others move the cursor over earlier output or talk to the terminal. These
 * helpers make such characters visible instead (`\x1b`, `\u009b`); the JSON
 * output keeps the exact text.
 */

/** C0 controls, DEL and C1 controls (by code, so no regex holds control characters). */
export function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The visible form of one control character. */
function escapeControl(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text (a table cell, a name) with every control character, newlines and tabs included, made visible. */
export function terminalSafe(text: string): string {
  let out = '';
  for (const ch of text) out += isControl(ch) ? escapeControl(ch) : ch;
  return out;
}

/**
 * JSON text with DEL and C1 controls written as `\u` escapes: the same JSON
 * value, but safe on a terminal (JSON.stringify already escapes C0).
 */
export function terminalSafeJson(json: string): string {
  let out = '';
  // A raw newline in JSON text is indentation: strings hold their newlines escaped.
  for (const ch of json) {
    out += isControl(ch) && ch !== '\n' ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

const ESC = '\u001b';
const MAX_SGR_PARAMS = 32;

/**
 * At `text[i]` (an ESC): the length of an SGR (colour) sequence
 * `ESC [ params m`, the one escape sequence passed through, like `less -R`;
 * 'more' when the text ends before it could be decided; 0 otherwise.
 */
function sgrLength(text: string, i: number): number | 'more' {
  if (i + 1 === text.length) return 'more';
  if (text.charAt(i + 1) !== '[') return 0;
  for (let j = i + 2; j < text.length && j <= i + 2 + MAX_SGR_PARAMS; j++) {
    const c = text.charAt(j);
    if (c === 'm') return j - i + 1;
    if (!/[0-9;:]/.test(c)) return 0;
  }
  return text.length - i <= 2 + MAX_SGR_PARAMS ? 'more' : 0;
}

/**
 * Makes a byte stream (a serial console log) safe to print on a terminal,
 * chunk by chunk: UTF-8 and escape sequences split across chunks are
 * handled. Newlines and tabs pass, `\r\n` becomes `\n`, colour (SGR)
 * sequences pass; every other control character, and so every other
 * escape sequence, is made visible.
 */
export class TerminalSanitizer {
  private readonly decoder = new StringDecoder('utf8');
  private held = '';

  /** The printable text for `chunk`; part of it may be held back until the next call. */
  write(chunk: Buffer): string {
    return this.convert(this.held + this.decoder.write(chunk), false);
  }

  /** Whatever is still held back (an unfinished sequence, a last `\r`), made visible. */
  end(): string {
    return this.convert(this.held + this.decoder.end(), true);
  }

  private convert(text: string, final: boolean): string {
    this.held = '';
    let out = '';
    let i = 0;
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch === ESC) {
        const sgr = sgrLength(text, i);
        if (sgr === 'more' && !final) {
          this.held = text.slice(i);
          break;
        }
        if (typeof sgr === 'number' && sgr > 0) {
          out += text.slice(i, i + sgr);
          i += sgr;
          continue;
        }
      } else if (ch === '\r') {
        if (i + 1 === text.length && !final) {
          this.held = ch;
          break;
        }
        if (text.charAt(i + 1) === '\n') {
          i += 1;
          continue;
        }
      } else if (ch === '\n' || ch === '\t') {
        out += ch;
        i += 1;
        continue;
      }
      out += isControl(ch) ? escapeControl(ch) : ch;
      i += 1;
    }
    return out;
  }
}

/** `chunks` made safe for a terminal (see TerminalSanitizer). */
export async function* terminalSafeStream(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const sanitizer = new TerminalSanitizer();
  for await (const chunk of chunks) {
    const text = sanitizer.write(chunk);
    if (text !== '') yield text;
  }
  const rest = sanitizer.end();
  if (rest !== '') yield rest;
}
