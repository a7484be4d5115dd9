// A JSON parser that keeps where every value and key ends, so the stand-in can
// word its errors the way Firecracker's serde_json does ("... at line 1 column 17").
// JSON.parse loses positions, integer-vs-float ("2.0") and duplicate keys, all of
// which change what Firecracker answers.

/** A 1-based line and the 1-based column of a character on it (0 = before the first). */
export interface Pos {
  line: number;
  column: number;
}

interface Span {
  start: Pos;
  end: Pos;
  /** Position of the last character consumed before this value began (serde's "peek" errors). */
  before: Pos;
}

interface JsonEntry {
  key: string;
  keyEnd: Pos;
  value: JsonNode;
}

export type JsonNode =
  | ({ kind: 'null' } & Span)
  | ({ kind: 'boolean'; value: boolean } & Span)
  | ({ kind: 'number'; value: number; raw: string; isInteger: boolean } & Span)
  | ({ kind: 'string'; value: string } & Span)
  | ({ kind: 'array'; items: JsonNode[] } & Span)
  | ({ kind: 'object'; entries: JsonEntry[] } & Span);

/** A syntax error, worded like serde_json's (message without the position suffix). */
export class JsonSyntaxError extends Error {
  readonly pos: Pos;
  constructor(message: string, pos: Pos) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.pos = pos;
  }
}

const MAX_DEPTH = 128; // serde_json's recursion limit

class Parser {
  private i = 0;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let k = 0; k < text.length; k++) if (text[k] === '\n') this.lineStarts.push(k + 1);
  }

  /** Position of the character at `index`. */
  posAt(index: number): Pos {
    if (index < 0) return { line: 1, column: 0 };
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - (this.lineStarts[lo] ?? 0) + 1 };
  }

  /** Error positioned at the last consumed character (serde's `error`). */
  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.posAt(this.i - 1));
  }

  /** Error positioned at the next, unconsumed character (serde's `peek_error`). */
  private failPeek(message: string): never {
    throw new JsonSyntaxError(message, this.posAt(Math.min(this.i, this.text.length - 1)));
  }

  private skipWs(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i] ?? '')) this.i++;
  }

  parseDocument(): JsonNode {
    const node = this.parseValue(0, 'a value');
    this.skipWs();
    if (this.i < this.text.length) this.failPeek('trailing characters');
    return node;
  }

  private parseValue(depth: number, what: string): JsonNode {
    this.skipWs();
    if (this.i >= this.text.length) this.fail(`EOF while parsing ${what}`);
    if (depth > MAX_DEPTH) this.failPeek('recursion limit exceeded');
    const before = this.posAt(this.i - 1);
    const startIndex = this.i;
    const c = this.text[this.i];
    const span = (): Span => ({ start: this.posAt(startIndex), end: this.posAt(this.i - 1), before });
    if (c === '{') return this.parseObject(depth, startIndex, before);
    if (c === '[') return this.parseArray(depth, startIndex, before);
    if (c === '"') {
      const value = this.parseString();
      return { kind: 'string', value, ...span() };
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const raw = this.parseNumberRaw();
      return { kind: 'number', value: Number(raw), raw, isInteger: !/[.eE]/.test(raw), ...span() };
    }
    for (const [word, node] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (c === word[0]) {
        this.i++;
        for (const ch of word.slice(1)) {
          if (this.i >= this.text.length) this.fail('EOF while parsing a value');
          if (this.text[this.i] !== ch) this.failPeek('expected ident');
          this.i++;
        }
        return { ...node, ...span() };
      }
    }
    return this.failPeek('expected value');
  }

  private parseObject(depth: number, startIndex: number, before: Pos): JsonNode {
    this.i++; // {
    const entries: JsonEntry[] = [];
    this.skipWs();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'object', entries, start: this.posAt(startIndex), end: this.posAt(this.i - 1), before };
    }
    for (;;) {
      this.skipWs();
      if (this.i >= this.text.length) this.fail('EOF while parsing an object');
      if (this.text[this.i] !== '"') {
        if (this.text[this.i] === '}' && entries.length > 0) this.failPeek('trailing comma');
        this.failPeek('key must be a string');
      }
      const key = this.parseString();
      const keyEnd = this.posAt(this.i - 1);
      this.skipWs();
      if (this.i >= this.text.length) this.fail('EOF while parsing an object');
      if (this.text[this.i] !== ':') this.failPeek('expected `:`');
      this.i++;
      const value = this.parseValue(depth + 1, 'a value');
      entries.push({ key, keyEnd, value });
      this.skipWs();
      if (this.i >= this.text.length) this.fail('EOF while parsing an object');
      const sep = this.text[this.i];
      this.i++;
      if (sep === '}') break;
      if (sep !== ',') {
        this.i--;
        this.failPeek('expected `,` or `}`');
      }
    }
    return { kind: 'object', entries, start: this.posAt(startIndex), end: this.posAt(this.i - 1), before };
  }

  private parseArray(depth: number, startIndex: number, before: Pos): JsonNode {
    this.i++; // [
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.text[this.i] === ']') {
      this.i++;
      return { kind: 'array', items, start: this.posAt(startIndex), end: this.posAt(this.i - 1), before };
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.i] === ']' && items.length > 0) this.failPeek('trailing comma');
      items.push(this.parseValue(depth + 1, 'a list'));
      this.skipWs();
      if (this.i >= this.text.length) this.fail('EOF while parsing a list');
      const sep = this.text[this.i];
      this.i++;
      if (sep === ']') break;
      if (sep !== ',') {
        this.i--;
        this.failPeek('expected `,` or `]`');
      }
    }
    return { kind: 'array', items, start: this.posAt(startIndex), end: this.posAt(this.i - 1), before };
  }

  private parseString(): string {
    this.i++; // opening quote
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) this.fail('EOF while parsing a string');
      const c = this.text[this.i] ?? '';
      this.i++;
      if (c === '"') return out;
      if (c === '\\') {
        if (this.i >= this.text.length) this.fail('EOF while parsing a string');
        const e = this.text[this.i] ?? '';
        this.i++;
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        const mapped = simple[e];
        if (mapped !== undefined) out += mapped;
        else if (e === 'u') {
          const hex = this.text.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid escape');
          this.i += 4;
          out += String.fromCharCode(Number.parseInt(hex, 16));
        } else this.fail('invalid escape');
      } else if (c.charCodeAt(0) < 0x20) {
        this.fail('control character (\\u0000-\\u001F) found while parsing a string');
      } else out += c;
    }
  }

  private parseNumberRaw(): string {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i));
    if (!m || m[0] === '-') {
      this.i++;
      this.fail('invalid number');
    }
    this.i += m[0].length;
    return m[0];
  }
}

/** Parses JSON text; throws JsonSyntaxError worded like serde_json. */
export function parseJson(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

/** The plain JavaScript value of a parsed node. */
export function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'null':
      return null;
    case 'array':
      return node.items.map(toPlain);
    case 'object':
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
    default:
      return node.value;
  }
}

export function formatPos(pos: Pos): string {
  return `line ${pos.line} column ${pos.column}`;
}
