import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { BangerClient, OnStage } from '../api/client.js';
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
  /** Runs a long action with its progress on the status line. */
  run: (label: string, action: (onStage: OnStage) => Promise<string>) => void;
  /** Told when the pull prompt opens and closes: while it is open, typed keys are its text. */
  onTyping: (typing: boolean) => void;
}

const PULL_PROMPT: Record<ArtifactKind, string> = {
  images: 'pull image (a catalog name or an OCI reference):',
  kernels: 'pull kernel (a name from `banger kernel list --available`):',
};

/**
 * The images or kernels list; `d` deletes the selected one after a
 * confirmation, `p` asks for a name and pulls it, its stages on the status line.
 */
export function ArtifactsView(props: Props) {
  const { kind, client, width, height, active, confirm, generation, run, onTyping } = props;
  const [rows, setRows] = useState<Row[] | undefined>();
  const [pullText, setPullText] = useState<string | undefined>();
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

  const typing = (text: string | undefined) => {
    setPullText(text);
    onTyping(text !== undefined);
  };
  const pull = (name: string) => {
    const what = kind === 'images' ? 'image' : 'kernel';
    run(`pulling ${what} ${name}`, async (onStage) => {
      const pulled =
        kind === 'images'
          ? await client.pullImage({ ref: name }, onStage)
          : await client.pullKernel(name, onStage);
      reload();
      return `pulled ${what} ${pulled.name}`;
    });
  };

  useInput(
    (input, key) => {
      if (pullText !== undefined) {
        if (key.escape) typing(undefined);
        else if (key.return) {
          typing(undefined);
          if (pullText.trim()) pull(pullText.trim());
        } else if (key.backspace || key.delete) setPullText(pullText.slice(0, -1));
        else if (input && !key.ctrl && !key.meta) setPullText(pullText + printable(input));
        return;
      }
      if (input === 'p') typing('');
      else if (key.upArrow) setSelected((s) => Math.max(s - 1, 0));
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
      {pullText !== undefined ? (
        <Text wrap="truncate">
          {PULL_PROMPT[kind]} <Text inverse>{pullText} </Text> (enter pulls, esc cancels)
        </Text>
      ) : null}
      <Text bold>{line(titles)}</Text>
      {error ? <Text color={colour('red')}>{error}</Text> : null}
      {rows === undefined ? <Text dimColor>loading…</Text> : null}
      {rows?.length === 0 ? <Text dimColor>no {kind}</Text> : null}
      {rows?.slice(0, height - 1 - (pullText !== undefined ? 1 : 0) - (error ? 1 : 0)).map((row, i) => (
        <Text key={row.name} inverse={i === selected} wrap="truncate">
          {line(row.cells)}
        </Text>
      ))}
    </Box>
  );
}
