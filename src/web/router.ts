import { useEffect, useState } from 'preact/hooks';

/** The pages, addressed by the URL's hash so the daemon serves one HTML file for all of them. */
export type Page =
  | { kind: 'vms' }
  | { kind: 'vm'; name: string }
  | { kind: 'terminal'; name: string }
  | { kind: 'create' }
  | { kind: 'images' }
  | { kind: 'daemon' }
  | { kind: 'not-found'; hash: string };

export function parseHash(hash: string): Page {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '/vms') return { kind: 'vms' };
  if (path === '/create') return { kind: 'create' };
  if (path === '/images') return { kind: 'images' };
  if (path === '/daemon') return { kind: 'daemon' };
  const vm = /^\/vms\/([^/]+)(\/terminal)?$/.exec(path);
  if (vm?.[1]) {
    try {
      return { kind: vm[2] ? 'terminal' : 'vm', name: decodeURIComponent(vm[1]) };
    } catch {
      // a malformed escape: not a page
    }
  }
  return { kind: 'not-found', hash };
}

export const vmHref = (name: string) => `#/vms/${encodeURIComponent(name)}`;
export const terminalHref = (name: string) => `${vmHref(name)}/terminal`;

/** The page the hash names, following back/forward and link clicks. */
export function usePage(): Page {
  const [page, setPage] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setPage(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return page;
}
