import { AppError } from '../../domain/errors.js';

/** One `-A <chain> ...` line of `iptables-save`, split into arguments. */
export interface SavedRule {
  table: string;
  chain: string;
  /** The arguments after `-A <chain>`, unquoted: usable with `-D <chain>` to delete this rule. */
  args: string[];
  /** Every `--comment` value, unquoted. */
  comments: string[];
}

/**
 * Splits one iptables-save line into words. iptables-save quotes a word with
 * double quotes when needed and escapes `"` and `\` inside with a backslash.
 */
export function splitSaveLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    let quoted = false;
    while (i < line.length && (quoted || line[i] !== ' ')) {
      const c = line[i] as string;
      if (c === '"') {
        quoted = !quoted;
      } else if (c === '\\' && i + 1 < line.length) {
        i++;
        word += line[i];
      } else {
        word += c;
      }
      i++;
    }
    if (quoted) throw new AppError('operation_failed', `unterminated quote in iptables-save output: ${line}`);
    words.push(word);
  }
  return words;
}

/** The rules of every table in `iptables-save` output. Chain policies and counters are ignored. */
export function parseIptablesSave(text: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (!line.startsWith('-A ')) continue;
    // With `iptables-save -c` each rule starts with "[packets:bytes] -A"; we never ask for that.
    const [, chain, ...args] = splitSaveLine(line);
    if (chain === undefined) continue;
    const comments: string[] = [];
    args.forEach((word, idx) => {
      const next = args[idx + 1];
      if (word === '--comment' && next !== undefined) comments.push(next);
    });
    rules.push({ table, chain, args, comments });
  }
  return rules;
}
