import { Text } from 'ink';
import { colour } from './theme.js';

/** A one-line message under the table: what an action did, or why it failed. */
export interface Status {
  text: string;
  tone: 'busy' | 'done' | 'error';
}

/** The confirmation question when one is asked, else the last status; always exactly one line. */
export function StatusLine({
  status,
  confirming,
}: {
  status: Status | undefined;
  confirming: string | undefined;
}) {
  if (confirming) {
    return (
      <Text wrap="truncate" bold color={colour('yellow')}>
        {confirming} y confirms, any other key cancels
      </Text>
    );
  }
  if (!status) return <Text> </Text>;
  const tone =
    status.tone === 'error' ? colour('red') : status.tone === 'busy' ? colour('yellow') : undefined;
  return (
    <Text wrap="truncate" color={tone}>
      {status.tone === 'error' ? `error: ${status.text}` : status.text}
    </Text>
  );
}
