import { describe, expect, it } from 'vitest';
import { Fault } from './faults.js';
import { parseJson } from './json-source.js';
import type { Schema } from './spec.js';
import { validateBody } from './validate.js';

// A miniature spec in the shape of Firecracker's, so these tests do not depend on the real file.
const defs: Record<string, Schema> = {
  MachineConfiguration: {
    type: 'object',
    required: ['mem_size_mib', 'vcpu_count'],
    properties: {
      vcpu_count: { type: 'integer', minimum: 1, maximum: 32 },
      mem_size_mib: { type: 'integer' },
      smt: { type: 'boolean' },
      huge_pages: { type: 'string', enum: ['None', '2M'] },
      cpu_template: { $ref: '#/definitions/CpuTemplate' },
    },
  },
  CpuTemplate: { type: 'string', enum: ['C3', 'T2', 'None'] },
  Vsock: {
    type: 'object',
    required: ['guest_cid'],
    properties: { guest_cid: { type: 'integer', minimum: 3 } },
  },
  Logger: {
    type: 'object',
    properties: {
      level: {
        type: 'string',
        enum: ['Info', 'Debug'],
        description: 'The possible values are case-insensitive.',
      },
    },
  },
  Mmds: { type: 'object', additionalProperties: true },
  List: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/definitions/Vsock' } } } },
};
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

function check(def: string, text: string, options = {}): unknown {
  return validateBody(parseJson(text), ref(def), defs, options);
}

function fault(def: string, text: string, options = {}): string {
  try {
    check(def, text, options);
  } catch (err) {
    if (err instanceof Fault)
      return err.message.replace('An error occurred when deserializing the json body of a request: ', '');
    throw err;
  }
  throw new Error('accepted');
}

describe('validateBody', () => {
  it('returns the value, dropping optional fields given as null (serde Option)', () => {
    expect(check('MachineConfiguration', '{"vcpu_count": 2, "mem_size_mib": 256, "smt": null}')).toEqual({
      vcpu_count: 2,
      mem_size_mib: 256,
    });
  });

  it('rejects unknown fields with the list of known ones', () => {
    expect(fault('Vsock', '{"guest_cid": 3, "x": 1}')).toBe(
      'unknown field `x`, expected `guest_cid` at line 1 column 20.',
    );
  });

  it('accepts anything where additionalProperties is true', () => {
    expect(check('Mmds', '{"any": {"thing": [1]}}')).toEqual({ any: { thing: [1] } });
  });

  it('names Rust types in type errors (u8 for vcpu_count, struct names for objects)', () => {
    expect(fault('MachineConfiguration', '{"vcpu_count": true, "mem_size_mib": 1}')).toBe(
      'invalid type: boolean `true`, expected u8 at line 1 column 19.',
    );
    expect(fault('MachineConfiguration', '[]')).toBe(
      'invalid type: sequence, expected struct MachineConfig at line 1 column 0.',
    );
    expect(fault('MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": -1}')).toBe(
      'invalid value: integer `-1`, expected usize at line 1 column 36.',
    );
  });

  it("uses Firecracker's own message for vcpu_count out of range", () => {
    expect(() => check('MachineConfiguration', '{"vcpu_count": 0, "mem_size_mib": 1}')).toThrow(
      /^Machine config error: The number of vCPUs/,
    );
  });

  it('applies spec minimums elsewhere', () => {
    expect(fault('Vsock', '{"guest_cid": 2}')).toBe(
      'invalid value: integer `2`, expected u32 >= 3 at line 1 column 15.',
    );
  });

  it('checks enums, including enums behind a $ref, and case-insensitive ones', () => {
    expect(fault('MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": 1, "cpu_template": "X"}')).toBe(
      'unknown variant `X`, expected one of `C3`, `T2`, `None` at line 1 column 56.',
    );
    expect(fault('MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": 1, "huge_pages": 2}')).toBe(
      'expected value at line 1 column 52.',
    );
    expect(check('Logger', '{"level": "debug"}')).toEqual({ level: 'Debug' });
  });

  it('reports missing required fields at the closing brace, unless told to ignore them (PATCH)', () => {
    expect(fault('MachineConfiguration', '{"vcpu_count": 1}')).toBe(
      'missing field `mem_size_mib` at line 1 column 17.',
    );
    expect(check('MachineConfiguration', '{"vcpu_count": 1}', { ignoreRequired: true })).toEqual({
      vcpu_count: 1,
    });
  });

  it('validates array items against their schema', () => {
    expect(fault('List', '{"items": [{"guest_cid": 3}, {}]}')).toBe(
      'missing field `guest_cid` at line 1 column 31.',
    );
  });
});
