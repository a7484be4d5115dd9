// Mutation testing sized for CI: only the critical files (stryker.config.json's
// "mutate" list) whose source changed since the commit named in
// .ci/mutation-baseline, the commit at which every critical file last passed:
// a full `npm run test:mutation`, or this changed-files run on top of the
// previous baseline. A full run takes about half an hour here, too long for
// every CI run; after either passes, put its commit in .ci/mutation-baseline.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const git = (...args) => spawnSync('git', args, { encoding: 'utf8' });

const critical = JSON.parse(readFileSync('stryker.config.json', 'utf8')).mutate;
const baseline = readFileSync('.ci/mutation-baseline', 'utf8').trim();
if (git('cat-file', '-e', `${baseline}^{commit}`).status !== 0) {
  // A shallow clone cannot tell what changed; say so rather than fail CI over clone depth.
  console.error(
    `mutation: warning: baseline ${baseline} (.ci/mutation-baseline) is not in this clone (shallow?); nothing mutated. Fetch the full history, or run npm run test:mutation`,
  );
  process.exit(0);
}
const diff = git('diff', '--name-only', '--diff-filter=d', baseline, 'HEAD', '--', ...critical);
if (diff.status !== 0) {
  console.error(`mutation: git diff failed: ${diff.stderr.trim()}`);
  process.exit(1);
}
const changed = diff.stdout.split('\n').filter(Boolean);
if (changed.length === 0) {
  console.log(`mutation: no critical file changed since ${baseline}; nothing to mutate`);
  process.exit(0);
}
console.log(`mutation: ${changed.length} critical file(s) changed since ${baseline}: ${changed.join(' ')}`);
// A separate incremental file: a partial run must not overwrite the full run's record.
const run = spawnSync(
  'npx',
  ['stryker', 'run', '--mutate', changed.join(','), '--incrementalFile', 'reports/stryker-changed.json'],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
