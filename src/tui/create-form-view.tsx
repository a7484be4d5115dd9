import { Box, Text, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { BangerClient } from '../api/client.js';
import {
  backspace,
  type CreateForm,
  createRequest,
  cycle,
  FIELD_LABELS,
  FIELDS,
  fieldText,
  moveFocus,
  newCreateForm,
  typeChar,
  withImages,
} from './create-form.js';
import { oneLine, printable } from './format.js';
import { Legend } from './legend.js';
import { colour } from './theme.js';

interface Props {
  client: BangerClient;
  /** Lines the form may use. */
  height: number;
  onCreated: (name: string) => void;
  onClose: () => void;
}

/**
 * The create form, then the create's progress as it streams: the `spec`
 * line (what the VM gets and where each value came from) and each stage.
 * Esc closes the form, or cancels a create in progress (the daemon undoes it).
 */
export function CreateFormView({ client, height, onCreated, onClose }: Props) {
  const [form, setForm] = useState<CreateForm>(() => newCreateForm([]));
  useEffect(() => {
    client.listImages().then(
      ({ images }) =>
        setForm((f) =>
          withImages(
            f,
            images.map((i) => i.name),
          ),
        ),
      (err: unknown) => setError(oneLine(err)),
    );
  }, [client]);
  const [spec, setSpec] = useState<string | undefined>();
  const [stages, setStages] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const aborter = useRef<AbortController | undefined>(undefined);
  const [running, setRunning] = useState(false);
  // Quitting (Ctrl-C) in the middle of a create cancels it: the daemon undoes what it made.
  useEffect(() => () => aborter.current?.abort(), []);

  const submit = () => {
    const controller = new AbortController();
    aborter.current = controller;
    setError(undefined);
    setSpec(undefined);
    setStages([]);
    setRunning(true);
    client
      .createVm(
        createRequest(form),
        (event) => {
          const text = printable(event.message);
          if (event.type === 'stage' && event.stage === 'spec') setSpec(text);
          else setStages((s) => [...s, event.type === 'stage' ? `${event.stage}: ${text}` : text]);
        },
        controller.signal,
      )
      .then(
        ({ vm }) => {
          aborter.current = undefined;
          setRunning(false);
          onCreated(vm.name);
        },
        (err: unknown) => {
          aborter.current = undefined;
          setRunning(false);
          setError(oneLine(err));
        },
      );
  };

  useInput((input, key) => {
    if (key.escape) {
      if (aborter.current) aborter.current.abort();
      else onClose();
      return;
    }
    if (running) return;
    if (key.return) submit();
    else if (key.upArrow || (key.tab && key.shift)) setForm((f) => moveFocus(f, -1));
    else if (key.downArrow || key.tab) setForm((f) => moveFocus(f, 1));
    else if (key.leftArrow) setForm((f) => cycle(f, -1));
    else if (key.rightArrow) setForm((f) => cycle(f, 1));
    else if (key.backspace || key.delete) setForm((f) => backspace(f));
    else if (input && !key.ctrl && !key.meta) for (const ch of input) setForm((f) => typeChar(f, ch));
  });

  const progressRoom = Math.max(height - FIELDS.length - 5, 1);
  return (
    <Box flexDirection="column" height={height} borderStyle="single" borderColor={colour('cyan')}>
      <Text bold>create a VM</Text>
      {FIELDS.map((field) => {
        const focused = field === form.focus && !running;
        return (
          <Text key={field} wrap="truncate">
            <Text inverse={focused}>{FIELD_LABELS[field].padEnd(13)}</Text> {fieldText(form, field)}
          </Text>
        );
      })}
      {spec ? <Text wrap="truncate">{spec}</Text> : null}
      {stages.slice(-progressRoom).map((line, i) => (
        // Progress lines only ever append; their position is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Text key={i} wrap="truncate" dimColor>
          {line}
        </Text>
      ))}
      {error ? (
        <Text wrap="truncate" color={colour('red')}>
          error: {error}
        </Text>
      ) : null}
      <Legend
        keys={
          running
            ? [['esc', 'cancel the create']]
            : [
                ['↑↓/tab', 'field'],
                ['←→/space', 'choose'],
                ['enter', 'create'],
                ['esc', 'close'],
              ]
        }
      />
    </Box>
  );
}
