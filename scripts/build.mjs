// Bundles the CLI, the daemon and the test-bed tools into dist/ with esbuild.
// Dependencies stay external: they are installed next to the bundle by npm.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

// Every tools/<name>/main.ts becomes dist/tools/<name>.js.
const tools = existsSync('tools')
  ? readdirSync('tools').filter((name) => existsSync(`tools/${name}/main.ts`))
  : [];
const entries = [
  { in: 'src/cli/main.ts', out: 'banger' },
  { in: 'src/daemon/main.ts', out: 'bangerd' },
  ...tools.map((name) => ({ in: `tools/${name}/main.ts`, out: `tools/${name}` })),
];

await mkdir('dist/tools', { recursive: true });
await build({
  entryPoints: entries.map((e) => ({ in: e.in, out: e.out })),
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
});
for (const e of entries) await chmod(`dist/${e.out}.js`, 0o755);
