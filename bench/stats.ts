// What every benchmark script shares: the statistic it reports and where its progress goes.

/** The median of the samples (0 for none): robust against the odd slow run on a busy machine. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return 0;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Progress lines on stderr, silent under --json so stdout stays one JSON document. */
export function progressLog(json: boolean | undefined): (line: string) => void {
  return (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  };
}
