/** A parsed `WWW-Authenticate` challenge: the scheme and its auth-params (keys lowercased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses the first challenge of a `WWW-Authenticate` header, e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"`.
 * Quoted values may contain commas and backslash escapes (RFC 9110 §11.2).
 * Returns undefined when the header is missing or has no scheme.
 */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const schemeMatch = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)/.exec(text);
  if (!schemeMatch?.[1]) return undefined;
  const params: Record<string, string> = {};
  let i = schemeMatch[0].length;
  while (i < text.length) {
    const keyMatch = /^\s*,?\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(text.slice(i));
    if (!keyMatch?.[1]) break;
    i += keyMatch[0].length;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++; // the closing quote
    } else {
      const end = text.slice(i).search(/[\s,]/);
      value = end < 0 ? text.slice(i) : text.slice(i, i + end);
      i += value.length;
    }
    const key = keyMatch[1].toLowerCase();
    // A second challenge starts with a bare scheme token; we only use the first.
    if (!(key in params)) params[key] = value;
  }
  return { scheme: schemeMatch[1].toLowerCase(), params };
}
