import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { BangerClient } from '../api/client.js';
import { fitWidth, formatBytes, oneLine, printable } from './format.js';
import { colour } from './theme.js';

export type ArtifactKind = 'images' | 'kernels';

interface Row {
  name: string;
  cells: string[];
}

const HEADERS: Record<ArtifactKind, { titles: string[]; widths: number[] }> = {
  images: { titles: ['NAME', 'SOURCE', 'SIZE', 'KERNEL', 'CREATED'], widths: [24, 10, 8, 20, 16] },
  kernels: { titles: ['NAME', 'VERSION', 'USED BY', 'CREATED'], widths: [24, 20, 16, 16] },
};

/** The rows, sorted by name (like the VM table), so they keep their place across reloads. */
async function loadRows(client: BangerClient, kind: ArtifactKind): Promise<Row[]> {
  const rows = await loadUnsorted(client, kind);
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

async function loadUnsorted(client: BangerClient, kind: ArtifactKind): Promise<Row[]> {
  const created = (iso: string) => iso.slice(0, 16).replace('T', ' ');
  if (kind === 'images') {
    const { images } = await client.listImages();
    return images.map((i) => ({
      name: i.name,
      cells: [
        i.name,
        i.source.kind,
        formatBytes(i.sizeBytes),
        i.kernel.kind === 'set' ? i.kernel.name : i.kernel.version,
        created(i.createdAt),
      ],
    }));
  }
  const { kernels } = await client.listKernels();
  return kernels.map((k) => ({
    name: k.name,
    cells: [k.name, k.version, k.usedBy.join(',') || '-', created(k.createdAt)],
  }));
}

interface Props {
  kind: ArtifactKind;
  client: BangerClient;
  width: number;
  height: number;
  /** Whether keys go here (not while a confirmation is asked). */
  active: boolean;
  /** Asks the user to confirm `prompt`; `action` runs on yes. */
  confirm: (prompt: string, action: () => Promise<string>) => void;
  /** Changes after each confirmed action, so the list is read again. */
  generation: number;
}

/** The images or kernels list; `d` deletes the selected one after a confirmation. */
export function ArtifactsView({ kind, client, width, height, active, confirm, generation }: Props) {
  const [rows, setRows] = useState<Row[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);

  const reload = useCallback(() => {
    loadRows(client, kind).then(
      (r) => {
        setRows(r);
        setError(undefined);
        setSelected((s) => Math.min(s, Math.max(r.length - 1, 0)));
      },
      (err: unknown) => setError(oneLine(err)),
    );
  }, [client, kind]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the signal to read the list again
  useEffect(reload, [reload, generation]);

  useInput(
    (input, key) => {
      if (key.upArrow) setSelected((s) => Math.max(s - 1, 0));
      else if (key.downArrow) setSelected((s) => Math.min(s + 1, Math.max((rows?.length ?? 1) - 1, 0)));
      else if (input === 'g') reload();
      else if (input === 'd') {
        const row = rows?.[selected];
        if (!row) return;
        const what = kind === 'images' ? 'image' : 'kernel';
        confirm(`delete ${what} ${row.name}?`, async () => {
          await (kind === 'images' ? client.deleteImage(row.name) : client.deleteKernel(row.name));
          return `deleted ${what} ${row.name}`;
        });
      }
    },
    { isActive: active },
  );

  const { titles, widths } = HEADERS[kind];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => fitWidth(printable(c), widths[i] ?? 10))
      .join(' ')
      .slice(0, width);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{line(titles)}</Text>
      {error ? <Text color={colour('red')}>{error}</Text> : null}
      {rows === undefined ? <Text dimColor>loading…</Text> : null}
      {rows?.length === 0 ? <Text dimColor>no {kind}</Text> : null}
      {rows?.slice(0, height - 1).map((row, i) => (
        <Text key={row.name} inverse={i === selected} wrap="truncate">
          {line(row.cells)}
        </Text>
      ))}
    </Box>
  );
}
