/**
 * The per-login session secret (see docs/web-ui.md): `/login` redirects to
 * `/#session=<secret>`; the fragment never leaves the browser. At start the
 * page moves it to sessionStorage, which is per origin (so per port: another
 * server on 127.0.0.1 cannot read it, unlike the cookie), and removes it from
 * the address bar and history. api.ts sends it as `Authorization: Bearer`.
 */

const KEY = 'banger-session';
const FRAGMENT = /^#session=([A-Za-z0-9_-]+)$/;

/** Takes a `#session=` fragment into sessionStorage and out of the URL; call before the router reads the hash. */
export function adoptSessionFromUrl(): void {
  const m = FRAGMENT.exec(location.hash);
  if (!m?.[1]) return;
  try {
    sessionStorage.setItem(KEY, m[1]);
  } catch {
    // Storage refused (a locked-down profile): the API then says to log in again.
  }
  // Replaces the entry, so Back does not bring the secret into the address bar again.
  history.replaceState(null, '', `${location.pathname}${location.search}`);
}

/** The secret for this tab, or undefined before a login (or when storage is unavailable). */
export function sessionSecret(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}
