// Enforces the layering of DESIGN §7: which top-level folder of src/ may import which.
// Run by `npm run lint`; prints each violation and exits 1.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const allowed = {
  domain: ['domain'],
  store: ['domain', 'store'],
  host: ['domain', 'host'],
  // The wire contract only: schemas, routes and the typed client.
  api: ['domain', 'api'],
  // What a front end does on the user's machine (start the daemon, SSH, workspace copy, vm run).
  client: ['domain', 'api', 'host', 'client'],
  daemon: ['domain', 'api', 'host', 'store', 'daemon'],
  // User interfaces use the client core and the contract, never host/ directly.
  // tui/ only for `banger tui`, which loads it lazily (src/cli/commands/tui.ts).
  cli: ['domain', 'api', 'client', 'cli', 'tui'],
  tui: ['domain', 'api', 'client', 'tui'],
  // The browser front end: the contract's types and pure helpers only (no client/, which
  // spawns processes; nothing of api/ that needs Node, such as api/client.ts).
  web: ['domain', 'api', 'web'],
  testing: ['domain', 'host', 'testing'],
};

const src = resolve('src');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(path);
  }
};
walk(src);

// The table lists only layers that exist: a stale entry would read as a rule for code that is not there.
for (const layer of Object.keys(allowed)) {
  if (!existsSync(join(src, layer))) {
    console.error(
      `scripts/check-layers.mjs: layer "${layer}" has no src/${layer}/; remove it from the table`,
    );
    process.exit(1);
  }
}

const importRe =
  /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const violations = [];
for (const file of files) {
  const layer = relative(src, file).split('/')[0];
  const ok = allowed[layer];
  if (!ok) {
    violations.push(`${relative('.', file)}: unknown layer "${layer}"; add it to scripts/check-layers.mjs`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    const rel = relative(src, target);
    if (rel.startsWith('..')) continue; // package.json and the like
    const targetLayer = rel.split('/')[0];
    if (!ok.includes(targetLayer)) {
      violations.push(`${relative('.', file)}: ${layer}/ may not import ${targetLayer}/ ('${spec}')`);
    }
  }
}
if (violations.length) {
  console.error(violations.join('\n'));
  process.exit(1);
}
