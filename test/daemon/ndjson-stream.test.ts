import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BangerClient } from '../../src/api/client.js';
import { streamOperation } from '../../src/daemon/ndjson.js';
import { AppError } from '../../src/domain/errors.js';

const socket = join(mkdtempSync(join(tmpdir(), 'banger-ndjson-')), 's.sock');
const app = Fastify();
app.post('/ok', (_req, reply) =>
  streamOperation(reply, async (emit) => {
    emit({ stage: 'download', message: 'fetching', current: 1, total: 2 });
    emit({ stage: 'build', message: 'building' });
    return { name: 'img' };
  }),
);
app.post('/fail', (_req, reply) =>
  streamOperation(reply, async (emit) => {
    emit({ stage: 'download', message: 'fetching' });
    throw new AppError('not_found', 'no such image "x"; see `banger image list`');
  }),
);
const client = new BangerClient(socket);

beforeAll(async () => {
  await app.listen({ path: socket });
});
afterAll(async () => {
  await client.close();
  await app.close();
});

describe('NDJSON progress streams over the socket', () => {
  it('delivers stages in order and the final result', async () => {
    const stages: string[] = [];
    const result = await client.stream<{ name: string }>({ method: 'POST', path: '/ok' }, {}, {}, (e) => {
      if (e.type === 'stage') stages.push(`${e.stage}:${e.message}`);
    });
    expect(stages).toEqual(['download:fetching', 'build:building']);
    expect(result).toEqual({ name: 'img' });
  });

  it('turns an error event into the AppError it was', async () => {
    const err = await client
      .stream({ method: 'POST', path: '/fail' }, {}, {}, () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('not_found');
    expect((err as AppError).message).toMatch(/no such image/);
  });
});
