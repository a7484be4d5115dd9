/**
 * The last complete JSON object line of Firecracker's metrics file text
 * (one object per line, appended on every flush); undefined when there is
 * none. A torn last line (being written) is skipped.
 */
export function lastMetricsLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (!line) continue;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // torn or foreign line: look further back
    }
  }
  return undefined;
}
