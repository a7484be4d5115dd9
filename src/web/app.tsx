import type { ComponentChildren } from 'preact';
import { CreatePage } from './create-page.js';
import { DaemonPage } from './daemon-page.js';
import { ImageDetailPage } from './image-detail-page.js';
import { ImagesPage } from './images-page.js';
import { KernelDetailPage } from './kernel-detail-page.js';
import { PageTitle } from './page-title.js';
import { type Page, usePage } from './router.js';
import { TerminalPage } from './terminal-page.js';
import { type Connection, useVmEvents } from './use-vm-events.js';
import { VmDetailPage } from './vm-detail-page.js';
import { VmListPage } from './vm-list-page.js';

/** The shell: navigation, the connection banner, and the page the URL's hash names. */
export function App() {
  const page = usePage();
  const { rows, connection } = useVmEvents();
  return (
    <>
      <button type="button" class="skip-link" onClick={skipToMain}>
        Skip to the page
      </button>
      <header class="top">
        <a class="brand" href="#/">
          banger
        </a>
        <nav aria-label="Main">
          <ul>
            <NavLink
              href="#/"
              current={page.kind === 'vms' || page.kind === 'vm' || page.kind === 'terminal'}
            >
              VMs
            </NavLink>
            <NavLink href="#/create" current={page.kind === 'create'}>
              Create
            </NavLink>
            <NavLink
              href="#/images"
              current={page.kind === 'images' || page.kind === 'image' || page.kind === 'kernel'}
            >
              Images
            </NavLink>
            <NavLink href="#/daemon" current={page.kind === 'daemon'}>
              Daemon
            </NavLink>
          </ul>
        </nav>
      </header>
      <ConnectionBanner connection={connection} />
      <main id="main">
        <PageView page={page} rows={rows} />
      </main>
    </>
  );
}

/** A button, not a link to #main: the hash is the route here. */
function skipToMain() {
  document.querySelector<HTMLElement>('main h1')?.focus();
}

function NavLink({
  href,
  current,
  children,
}: {
  href: string;
  current: boolean;
  children: ComponentChildren;
}) {
  return (
    <li>
      <a href={href} aria-current={current ? 'page' : undefined}>
        {children}
      </a>
    </li>
  );
}

/** Shown while the event stream is down: the tables keep their last rows, which may be stale. */
function ConnectionBanner({ connection }: { connection: Connection }) {
  return (
    <div aria-live="assertive" class="banner-slot">
      {connection.state === 'down' && (
        <p class="banner" role="alert">
          {connection.retrying
            ? `daemon unavailable, reconnecting… (${connection.reason})`
            : connection.reason}
        </p>
      )}
    </div>
  );
}

function PageView({ page, rows }: { page: Page; rows: ReturnType<typeof useVmEvents>['rows'] }) {
  switch (page.kind) {
    case 'vms':
      return <VmListPage rows={rows} />;
    case 'vm':
      return <VmDetailPage key={page.name} name={page.name} rows={rows} />;
    case 'terminal':
      return <TerminalPage key={page.name} name={page.name} rows={rows} />;
    case 'create':
      return <CreatePage rows={rows} />;
    case 'images':
      return <ImagesPage />;
    case 'image':
      return <ImageDetailPage key={page.name} name={page.name} />;
    case 'kernel':
      return <KernelDetailPage key={page.name} name={page.name} />;
    case 'daemon':
      return <DaemonPage />;
    case 'not-found':
      return (
        <>
          <PageTitle title="Not found" />
          <p>
            No page here. <a href="#/">Go to the VMs</a>
          </p>
        </>
      );
  }
}
