import { useEffect, useState } from 'preact/hooks';

/** The pages, addressed by the URL's hash so the daemon serves one HTML file for all of them. */
export type Page =
  | { kind: 'vms' }
  | { kind: 'vm'; name: string }
  | { kind: 'terminal'; name: string }
  | { kind: 'create' }
  | { kind: 'images' }
  | { kind: 'image'; name: string }
  | { kind: 'kernel'; name: string }
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
    const name = decoded(vm[1]);
    if (name !== undefined) return { kind: vm[2] ? 'terminal' : 'vm', name };
  }
  const artifact = /^\/(images|kernels)\/([^/]+)$/.exec(path);
  if (artifact?.[2]) {
    const name = decoded(artifact[2]);
    if (name !== undefined) return { kind: artifact[1] === 'images' ? 'image' : 'kernel', name };
  }
  return { kind: 'not-found', hash };
}

/** A path segment's name; undefined for a malformed escape (not a page). */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const vmHref = (name: string) => `#/vms/${encodeURIComponent(name)}`;
export const terminalHref = (name: string) => `${vmHref(name)}/terminal`;
export const imageHref = (name: string) => `#/images/${encodeURIComponent(name)}`;
export const kernelHref = (name: string) => `#/kernels/${encodeURIComponent(name)}`;

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
