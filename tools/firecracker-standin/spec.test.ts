import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Fault } from './faults.js';
import { routeRequest } from './routes.js';
import { loadSpec, resolveSpecPath, SpecError } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSpec(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

const MINI = `swagger: "2.0"
info: { version: 2.0.0 }
paths:
  /drives/{drive_id}:
    put:
      operationId: putDrive
      parameters:
        - { name: body, in: body, required: true, schema: { $ref: "#/definitions/Drive" } }
  /:
    get: { operationId: describeInstance }
definitions:
  Drive:
    type: object
    required: [drive_id]
    properties: { drive_id: { type: string } }
`;

describe('loadSpec', () => {
  it("reads Firecracker's description (the real file) with its operations and version", () => {
    const spec = loadSpec(resolveSpecPath(undefined));
    expect(spec.version).toMatch(/^1\.\d+\.\d+$/);
    const ids = spec.operations.map((o) => `${o.method} ${o.template}`);
    for (const op of [
      'PUT /actions',
      'PUT /drives/{drive_id}',
      'PUT /serial',
      'GET /vm/config',
      'PATCH /machine-config',
    ]) {
      expect(ids).toContain(op);
    }
  });

  it('prefers --api-spec, then $BANGER_FIRECRACKER_API_SPEC', () => {
    expect(resolveSpecPath('/x/flag.yaml', { BANGER_FIRECRACKER_API_SPEC: '/x/env.yaml' })).toBe(
      '/x/flag.yaml',
    );
    expect(resolveSpecPath(undefined, { BANGER_FIRECRACKER_API_SPEC: '/x/env.yaml' })).toBe('/x/env.yaml');
  });

  it('drives routing from the file, not from a hand copy', () => {
    const spec = loadSpec(writeSpec(MINI));
    expect(spec.version).toBe('2.0.0');
    expect(
      routeRequest(spec, { method: 'PUT', path: '/drives/a', body: '{"drive_id": "a"}' }).op.operationId,
    ).toBe('putDrive');
    expect(() => routeRequest(spec, { method: 'PUT', path: '/machine-config', body: '{}' })).toThrow(
      new Fault('Invalid request method and/or path: PUT machine-config.'),
    );
  });

  it.each([
    ['a missing file', undefined, /cannot read the Firecracker API description/],
    ['not swagger 2.0', 'openapi: 3.0.0\n', /is not a Swagger 2.0 document/],
    [
      'an unknown schema keyword',
      MINI.replace('required: [drive_id]', 'oneOf: []'),
      /unsupported schema keyword "oneOf"/,
    ],
    ['a dangling $ref', MINI.replace('#/definitions/Drive"', '#/definitions/Nope"'), /unresolvable \$ref/],
  ])('refuses %s', (_name, text, error) => {
    const path = text === undefined ? join(dir, 'missing.yaml') : writeSpec(text);
    expect(() => loadSpec(path)).toThrow(SpecError);
    expect(() => loadSpec(path)).toThrow(error);
  });

  it('accepts every schema in the real file (no keyword is silently ignored)', () => {
    const text = readFileSync(resolveSpecPath(undefined), 'utf8');
    expect(() => loadSpec(writeSpec(text))).not.toThrow();
  });
});
