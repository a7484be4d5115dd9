import type { ComponentChildren } from 'preact';

/** One labelled value of a details list (`<dl class="fields">`). */
export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A file path: monospace, wrapping anywhere. */
export function PathText({ path }: { path: string | undefined }) {
  return path ? <code class="wrap">{path}</code> : <>–</>;
}

/** Names as links (`href` makes each one's), comma-separated; a dash for none. */
export function NameLinks({ names, href }: { names: string[]; href: (name: string) => string }) {
  if (names.length === 0) return <>–</>;
  return (
    <>
      {names.map((name, i) => (
        <span key={name}>
          {i > 0 && ', '}
          <a href={href(name)}>{name}</a>
        </span>
      ))}
    </>
  );
}
