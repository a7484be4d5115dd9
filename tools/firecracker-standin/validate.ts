// A small Swagger 2.0 schema validator over parsed JSON, behaving like
// Firecracker's serde deserialization: unknown fields are rejected (every
// Firecracker config struct is `deny_unknown_fields`) unless the schema says
// `additionalProperties: true`; missing required fields, wrong types, enum
// values and integer ranges are errors; `null` for an optional field counts as
// absent (serde's Option). The first error in document order wins, as in serde.
import { Fault, msg, RANGE_OVERRIDE, RUST_INT, RUST_STRUCT } from './faults.js';
import { type JsonNode, type Pos, toPlain } from './json-source.js';
import type { Schema } from './spec.js';

export interface ValidateOptions {
  /** Skip the top-level `required` list (Firecracker's PATCH structs make every field optional). */
  ignoreRequired?: boolean;
}

interface Ctx {
  defs: Record<string, Schema>;
  /** Name of the spec definition being checked (for struct names and field hints). */
  def: string | undefined;
  prop: string | undefined;
}

const INT_RANGE: Record<string, [number, number]> = {
  u8: [0, 255],
  u16: [0, 65535],
  u32: [0, 4294967295],
  u64: [0, Number.MAX_SAFE_INTEGER],
  usize: [0, Number.MAX_SAFE_INTEGER],
  i32: [-2147483648, 2147483647],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function serdeFault(detail: string, pos: Pos): Fault {
  return new Fault(msg.serde(detail, pos));
}

/** serde's OneOf display for the fields or variants it expected. */
function oneOf(names: string[], none = 'there are no fields'): string {
  if (names.length === 0) return none;
  if (names.length === 1) return `expected \`${names[0]}\``;
  if (names.length === 2) return `expected \`${names[0]}\` or \`${names[1]}\``;
  return `expected one of ${names.map((n) => `\`${n}\``).join(', ')}`;
}

/** serde's `Unexpected` display for a JSON value. */
function unexpected(node: JsonNode): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return `boolean \`${node.value}\``;
    case 'number': {
      if (node.isInteger) return `integer \`${node.raw}\``;
      const text = String(node.value);
      return `floating point \`${/[.e]/.test(text) ? text : `${text}.0`}\``;
    }
    case 'string':
      return `string ${JSON.stringify(node.value)}`;
    case 'array':
      return 'sequence';
    case 'object':
      return 'map';
  }
}

function invalidType(node: JsonNode, expected: string): Fault {
  // serde reports compound values where it peeked at them, scalars after consuming them.
  const pos = node.kind === 'array' || node.kind === 'object' ? node.before : node.end;
  return serdeFault(`invalid type: ${unexpected(node)}, expected ${expected}`, pos);
}

function resolveRef(schema: Schema, ctx: Ctx): { schema: Schema; def: string | undefined } {
  if (schema.$ref === undefined) return { schema, def: undefined };
  const name = schema.$ref.replace('#/definitions/', '');
  const target = ctx.defs[name];
  if (!target) throw new Error(`unresolved $ref ${schema.$ref}`); // spec.ts checked every $ref at load
  return { schema: target, def: name };
}

function rustInt(schema: Schema, ctx: Ctx): string {
  const hint = ctx.def && ctx.prop ? RUST_INT[`${ctx.def}.${ctx.prop}`] : undefined;
  if (hint) return hint;
  return schema.format === 'int32' ? 'i32' : 'u64';
}

function checkInteger(node: JsonNode, schema: Schema, ctx: Ctx): number {
  const rust = rustInt(schema, ctx);
  if (node.kind !== 'number') throw invalidType(node, rust);
  if (!node.isInteger) throw invalidType(node, rust);
  const [lo, hi] = INT_RANGE[rust] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  if (node.value < lo || node.value > hi) {
    throw serdeFault(`invalid value: integer \`${node.raw}\`, expected ${rust}`, node.end);
  }
  const belowMin = schema.minimum !== undefined && node.value < schema.minimum;
  const aboveMax = schema.maximum !== undefined && node.value > schema.maximum;
  if (belowMin || aboveMax) {
    const override = ctx.def && ctx.prop ? RANGE_OVERRIDE[`${ctx.def}.${ctx.prop}`] : undefined;
    if (override) throw new Fault(override);
    const bounds =
      schema.minimum !== undefined && schema.maximum !== undefined
        ? `in ${schema.minimum}..=${schema.maximum}`
        : schema.minimum !== undefined
          ? `>= ${schema.minimum}`
          : `<= ${schema.maximum}`;
    throw serdeFault(`invalid value: integer \`${node.raw}\`, expected ${rust} ${bounds}`, node.end);
  }
  return node.value;
}

function checkString(node: JsonNode, schema: Schema): string {
  if (schema.enum) {
    // serde deserializes unit enums from strings only; anything else is "expected value".
    if (node.kind !== 'string') throw serdeFault('expected value', node.start);
    const variants = schema.enum.map(String);
    // The Logger level is documented as case-insensitive; the spec says so in the description.
    const caseless = /case-insensitive/i.test(schema.description ?? '');
    const hit = variants.find((v) =>
      caseless ? v.toLowerCase() === node.value.toLowerCase() : v === node.value,
    );
    if (hit === undefined) {
      throw serdeFault(
        `unknown variant \`${node.value}\`, ${oneOf(variants, 'there are no variants')}`,
        node.end,
      );
    }
    return hit;
  }
  if (node.kind !== 'string') throw invalidType(node, 'a string');
  return node.value;
}

function checkObject(
  node: JsonNode,
  schema: Schema,
  ctx: Ctx,
  options: ValidateOptions,
): Record<string, unknown> {
  const structName = ctx.def ? `struct ${RUST_STRUCT[ctx.def] ?? ctx.def}` : 'a map';
  if (node.kind !== 'object') throw invalidType(node, structName);
  if (schema.additionalProperties === true) return toPlain(node) as Record<string, unknown>;
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  const required = options.ignoreRequired ? [] : (schema.required ?? []);
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const entry of node.entries) {
    if (seen.has(entry.key)) throw serdeFault(`duplicate field \`${entry.key}\``, entry.keyEnd);
    seen.add(entry.key);
    const propSchema = properties[entry.key];
    if (!propSchema) {
      if (typeof schema.additionalProperties === 'object') {
        out[entry.key] = check(entry.value, schema.additionalProperties, { ...ctx, prop: entry.key });
        continue;
      }
      throw serdeFault(`unknown field \`${entry.key}\`, ${oneOf(names)}`, entry.keyEnd);
    }
    if (entry.value.kind === 'null' && !required.includes(entry.key)) continue;
    out[entry.key] = check(entry.value, propSchema, { ...ctx, prop: entry.key });
  }
  for (const name of required) {
    if (!(name in out)) throw serdeFault(`missing field \`${name}\``, node.end);
  }
  return out;
}

function check(node: JsonNode, raw: Schema, ctx: Ctx, options: ValidateOptions = {}): unknown {
  const { schema, def } = resolveRef(raw, ctx);
  const here: Ctx = def ? { ...ctx, def, prop: undefined } : ctx;
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'object':
      return checkObject(node, schema, here, options);
    case 'array': {
      if (node.kind !== 'array') throw invalidType(node, 'a sequence');
      const items = schema.items;
      return items ? node.items.map((item) => check(item, items, here)) : toPlain(node);
    }
    case 'string':
      return checkString(node, schema);
    case 'integer':
      // A scalar keeps the field it belongs to (its hints are keyed by struct.field).
      return checkInteger(node, schema, ctx);
    case 'number':
      if (node.kind !== 'number') throw invalidType(node, 'f64');
      return node.value;
    case 'boolean':
      if (node.kind !== 'boolean') throw invalidType(node, 'a boolean');
      return node.value;
    default:
      return toPlain(node);
  }
}

/**
 * Checks a request body against its schema and returns the plain value
 * (optional fields given as `null` are dropped). Throws a Fault worded like
 * Firecracker's deserialization errors.
 */
export function validateBody(
  node: JsonNode,
  schema: Schema,
  definitions: Record<string, Schema>,
  options: ValidateOptions = {},
): unknown {
  return check(node, schema, { defs: definitions, def: undefined, prop: undefined }, options);
}
