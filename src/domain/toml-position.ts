/**
 * Finds the 1-based line where a key path is defined in TOML text, so config
 * errors can name the line. Handles `[table]`, `[[array.of.tables]]` (with the
 * index taken from the path), dotted keys and quoted keys well enough for a
 * config file; returns undefined when the key cannot be located.
 */
export function findKeyLine(text: string, path: readonly (string | number)[]): number | undefined {
  if (path.length === 0) return undefined;
  const lines = text.split('\n');
  let table: string[] = [];
  const arrayCounts = new Map<string, number>();
  let best: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] ?? '').trim();
    if (!line) continue;
    const header = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line) ?? /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header?.[1]) {
      const name = splitKey(header[1]);
      if (line.startsWith('[[')) {
        const key = name.join('.');
        const index = arrayCounts.get(key) ?? 0;
        arrayCounts.set(key, index + 1);
        table = [...name, String(index)];
      } else {
        table = name;
      }
      if (samePrefix(table, path) && table.length === path.length) best ??= i + 1;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const full = [...table, ...splitKey(line.slice(0, eq))];
    if (samePrefix(full, path)) {
      // The exact key wins; a shorter prefix (an inline table holding it) is a fallback.
      if (full.length >= path.length) return i + 1;
      best ??= i + 1;
    }
  }
  return best;
}

function samePrefix(candidate: readonly string[], path: readonly (string | number)[]): boolean {
  const n = Math.min(candidate.length, path.length);
  for (let i = 0; i < n; i++) if (candidate[i] !== String(path[i])) return false;
  return true;
}

function splitKey(raw: string): string[] {
  return raw
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .filter((part) => part.length > 0);
}

function stripComment(line: string): string {
  // A '#' inside a quoted string is not a comment.
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}
