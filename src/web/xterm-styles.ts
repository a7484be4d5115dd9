/**
 * Lets xterm.js style itself under the daemon's CSP (`style-src 'self'`, no
 * `'unsafe-inline'`), which we keep strict rather than loosen for one page.
 *
 * xterm's DOM renderer writes its dynamic CSS (theme colours, cell size,
 * scrollbar) into `<style>` elements it creates, and true-colour cells get a
 * `style` attribute: the CSP blocks both (and reports each as an error). The
 * same CSS given through the CSSOM is allowed, since no inline markup is
 * parsed. So while a terminal is on the page, `document.createElement`:
 * - for `style` returns an inert `<template>` (never rendered) whose
 *   `textContent` feeds a constructed stylesheet in `document.adoptedStyleSheets`,
 *   dropped again by its `remove()`;
 * - for any other tag returns the element with `setAttribute('style', css)`
 *   doing `style.cssText = css`, which has the same effect.
 * The returned function restores `createElement` and drops the sheets.
 */
export function routeInlineStyles(): () => void {
  const original = document.createElement;
  const sheets = new Set<CSSStyleSheet>();
  const adopt = (sheet: CSSStyleSheet) => {
    sheets.add(sheet);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  };
  const drop = (sheet: CSSStyleSheet) => {
    sheets.delete(sheet);
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };

  function createElement(this: Document, tag: string, options?: ElementCreationOptions): HTMLElement {
    if (tag.toLowerCase() === 'style') return styleStandIn(original.call(this, 'template'), adopt, drop);
    const element = original.call(this, tag, options);
    const setAttribute = element.setAttribute.bind(element);
    element.setAttribute = (name: string, value: string) => {
      if (name.toLowerCase() === 'style') element.style.cssText = value;
      else setAttribute(name, value);
    };
    return element;
  }
  document.createElement = createElement as typeof document.createElement;

  return () => {
    document.createElement = original;
    for (const sheet of [...sheets]) drop(sheet);
  };
}

function styleStandIn(
  template: HTMLElement,
  adopt: (sheet: CSSStyleSheet) => void,
  drop: (sheet: CSSStyleSheet) => void,
): HTMLElement {
  const sheet = new CSSStyleSheet();
  let css = '';
  Object.defineProperty(template, 'textContent', {
    get: () => css,
    set: (value: string | null) => {
      css = value ?? '';
      sheet.replaceSync(css);
    },
  });
  const remove = template.remove.bind(template);
  template.remove = () => {
    drop(sheet);
    remove();
  };
  adopt(sheet);
  return template;
}
