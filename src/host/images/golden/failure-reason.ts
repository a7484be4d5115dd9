/**
 * The line of mmdebstrap's output that says why a build failed. mmdebstrap
 * ends with generic lines ("E: mmdebstrap failed to run", "E: apt-get update
 * ... failed"); the cause (a mirror that does not resolve, a refused
 * connection, a missing package) is an earlier "E:" line.
 */
const GENERIC = [
  /^mmdebstrap failed to run$/,
  /^apt-get .* failed$/,
  /^Some index files failed to download/,
  /^(setup|run_setup|run_update|run_download|main)\b.* failed$/,
];

export function buildFailureReason(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('E: ')).map((l) => l.slice(3).replace(/\s+/g, ' '));
  return errors.find((e) => !GENERIC.some((g) => g.test(e))) ?? errors[0] ?? lines.at(-1) ?? 'no output';
}
