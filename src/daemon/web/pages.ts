/**
 * The few pages the daemon writes itself (no UI assets, login failures,
 * refusals). Static HTML without scripts or styles, so they pass the
 * Content-Security-Policy every web response carries.
 */
export function page(title: string, ...paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body>\n</html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const notLoggedInPage = page(
  'banger: not logged in',
  'Run `banger web` in a terminal: it prints (and opens) a one-time link that logs this browser in.',
);

export const loginFailedPage = page(
  'banger: login link not valid',
  'This login link was already used or has expired (links work once, for 2 minutes).',
  'Run `banger web` again for a new one.',
);

export const assetsMissingPage = page(
  'banger: web UI not built',
  'The daemon is serving the web UI, but its files (dist/web/index.html) are missing.',
  'Build them with `npm run build` in the banger checkout, then reload this page.',
);
