// Bundles the CLI, the daemon and the test-bed tools into dist/ with esbuild.
// Dependencies stay external (installed next to the bundle by npm), but for commander in the CLI.
// Bundles the web UI (src/web/) into dist/web/ for the daemon's web listener.
// Then compiles the guest agent (C, guest/agent/) into dist/guest/banger-agent.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { build } from 'esbuild';

// Every tools/<name>/main.ts becomes dist/tools/<name>.js.
const tools = existsSync('tools')
  ? readdirSync('tools').filter((name) => existsSync(`tools/${name}/main.ts`))
  : [];
const entries = [
  { in: 'src/daemon/main.ts', out: 'bangerd' },
  ...tools.map((name) => ({ in: `tools/${name}/main.ts`, out: `tools/${name}` })),
];

const common = {
  outdir: 'dist',
  outExtension: { '.js': '.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  jsx: 'automatic',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
};

await mkdir('dist/tools', { recursive: true });
await build({ ...common, entryPoints: entries.map((e) => ({ in: e.in, out: e.out })) });
// The CLI is two bundles. dist/banger.js holds only the hottest commands (src/cli/main.ts, the
// fast path): every module file an ESM start loads costs, so they are one file, not the ten
// shared chunks a split build makes of them. Any other command imports dist/chunks/cli.js, the
// full CLI (commander-main.ts), with its own copy of what the two share: nothing crosses
// between them. Both are split so what they import lazily (each top-level command, the TUI with
// react and ink, the config's TOML and zod) goes to dist/chunks/ and is loaded only on use.
// commander, which the full CLI always loads, is bundled in: resolving it in node_modules and
// loading it as CommonJS from ESM costs each start ~10 ms. Its require()s of node built-ins
// need a real `require` in the ESM output (every output file gets the banner).
const dependencies = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies);
const split = { ...common, splitting: true, chunkNames: 'chunks/[name]-[hash]', metafile: true };
const fullCli = await build({
  ...split,
  packages: undefined,
  external: dependencies.filter((name) => name !== 'commander'),
  banner: {
    js: `${common.banner.js}\nimport { createRequire as __cliRequire } from 'node:module';\nconst require = __cliRequire(import.meta.url);`,
  },
  entryPoints: [{ in: 'src/cli/commander-main.ts', out: 'chunks/cli' }],
});
const fullCliImport = {
  name: 'full-cli-import',
  setup(b) {
    b.onResolve({ filter: /^\.\/commander-main\.js$/ }, () => ({ path: './chunks/cli.js', external: true }));
  },
};
const cli = await build({
  ...split,
  plugins: [fullCliImport],
  entryPoints: [{ in: 'src/cli/main.ts', out: 'banger' }],
});
// Chunk names carry a content hash: remove those of earlier builds (not the whole directory,
// which a CLI started from dist/ at this moment may be loading).
const outputs = [...Object.keys(fullCli.metafile.outputs), ...Object.keys(cli.metafile.outputs)];
const current = new Set(outputs.map((path) => basename(path)));
for (const name of readdirSync('dist/chunks')) {
  if (!current.has(name)) await rm(`dist/chunks/${name}`, { force: true });
}
for (const e of [{ out: 'banger' }, ...entries]) await chmod(`dist/${e.out}.js`, 0o755);

// The root helper runs as root: one self-contained file with no imports but
// node's own, so nothing a user can write (node_modules, an npm prefix) is
// ever loaded into it. `system setup` copies it to a root-owned directory.
const helper = await build({
  entryPoints: ['src/host/root-helper/main.ts'],
  outfile: 'dist/banger-root.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  metafile: true,
  logLevel: 'warning',
});
const imports = Object.values(helper.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const foreign = imports.filter((path) => !path.startsWith('node:'));
if (foreign.length > 0)
  throw new Error(`the root helper must import only node:*, found ${foreign.join(', ')}`);

// The web UI: one self-contained script for the browser (Preact bundled in, nothing
// fetched from elsewhere), its stylesheet and the page. The daemon serves dist/web/index.html
// at / and dist/web/assets/* at /assets/*; its CSP allows only these same-origin files.
await mkdir('dist/web/assets', { recursive: true });
await build({
  entryPoints: ['src/web/main.tsx'],
  outfile: 'dist/web/assets/app.js',
  tsconfig: 'src/web/tsconfig.json',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile('src/web/index.html', 'dist/web/index.html');
await copyFile('src/web/app.css', 'dist/web/assets/app.css');
// xterm.js's own stylesheet for the terminal page (its script is bundled into app.js above).
await copyFile('node_modules/@xterm/xterm/css/xterm.css', 'dist/web/assets/xterm.css');

// The guest agent runs in any guest (glibc or musl, no Node or Python there): a static C
// binary. It is compiled to a temporary name and renamed, so a copy running at this moment
// (a test's) is replaced, never written over.
const agentSources = readdirSync('guest/agent')
  .filter((name) => name.endsWith('.c'))
  .sort()
  .map((name) => `guest/agent/${name}`);
const agentOut = 'dist/guest/banger-agent';
const agentTmp = `${agentOut}.tmp-${process.pid}`;
await mkdir('dist/guest', { recursive: true });
// -s strips the symbols: the binary is copied into every guest.
const cflags = '-static -Os -s -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE'.split(' ');
const cc = spawnSync('cc', [...cflags, '-o', agentTmp, ...agentSources], { stdio: 'inherit' });
if (cc.status !== 0) {
  await rm(agentTmp, { force: true });
  console.error(
    cc.error?.code === 'ENOENT'
      ? `build: no C compiler (cc) to build ${agentOut}: install build-essential (apt-get install build-essential)`
      : `build: cc failed to build ${agentOut} from guest/agent/*.c (see above; linking statically needs libc.a, from build-essential)`,
  );
  process.exit(1);
}
await chmod(agentTmp, 0o755);
await rename(agentTmp, agentOut);
