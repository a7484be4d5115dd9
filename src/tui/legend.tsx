import { Box, Text } from 'ink';
import { colour } from './theme.js';

/** The key legend: each key bold (and cyan when colour is allowed), then what it does. */
export function Legend({ keys }: { keys: readonly (readonly [string, string])[] }) {
  return (
    <Box flexWrap="wrap" columnGap={2}>
      {keys.map(([key, what]) => (
        <Text key={key}>
          <Text bold color={colour('cyan')}>
            {key}
          </Text>{' '}
          {what}
        </Text>
      ))}
    </Box>
  );
}
