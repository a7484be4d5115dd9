// Loads Firecracker's official Swagger 2.0 API description at runtime. The
// stand-in never carries a hand copy of the API: routes, body schemas and the
// reported version all come from this file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const SPEC_ENV = 'BANGER_FIRECRACKER_API_SPEC';
const SPEC_FILE = 'firecracker-api-v1.16.1.yaml';
const ABSOLUTE_DEFAULT = `/work/shared/firecracker/${SPEC_FILE}`;

/** The subset of a Swagger 2.0 schema the validator understands. */
export interface Schema {
  $ref?: string;
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: Schema;
  format?: string;
  description?: string;
}

type HttpMethod = 'GET' | 'PUT' | 'PATCH';

export interface Operation {
  method: HttpMethod;
  /** The path template, e.g. `/drives/{drive_id}`. */
  template: string;
  /** Template split on `/`; parameters are kept as `{name}`. */
  segments: string[];
  operationId: string;
  body?: { schema: Schema; required: boolean };
}

export interface ApiSpec {
  path: string;
  version: string;
  definitions: Record<string, Schema>;
  operations: Operation[];
}

/** Schema keywords the validator implements; anything else in the spec is an error, not silently ignored. */
const KNOWN_KEYWORDS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'minimum',
  'maximum',
  'items',
  'format',
  'description',
  'default',
  'example',
  'readOnly',
]);
const KNOWN_TYPES = new Set(['object', 'string', 'integer', 'number', 'boolean', 'array']);

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/**
 * Where the spec is read from: the explicit path (CLI flag), else
 * $BANGER_FIRECRACKER_API_SPEC, else `../shared/firecracker/<file>` next to the
 * repository this program was built from, else the absolute default.
 */
export function resolveSpecPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  const fromEnv = env[SPEC_ENV];
  if (fromEnv) return resolve(fromEnv);
  const candidates: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    if (existsSync(join(dir, 'package.json'))) {
      candidates.push(join(dir, '..', 'shared', 'firecracker', SPEC_FILE));
      break;
    }
    dir = dirname(dir);
  }
  candidates.push(ABSOLUTE_DEFAULT);
  return candidates.find((c) => existsSync(c)) ?? ABSOLUTE_DEFAULT;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkSchema(schema: unknown, where: string, definitions: Record<string, unknown>): void {
  if (!isRecord(schema)) throw new SpecError(`${where}: schema is not an object`);
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key)) throw new SpecError(`${where}: unsupported schema keyword "${key}"`);
  }
  if (schema.$ref !== undefined) {
    const m = typeof schema.$ref === 'string' ? /^#\/definitions\/(.+)$/.exec(schema.$ref) : null;
    if (!m?.[1] || !(m[1] in definitions))
      throw new SpecError(`${where}: unresolvable $ref ${String(schema.$ref)}`);
  }
  if (schema.type !== undefined && !KNOWN_TYPES.has(String(schema.type))) {
    throw new SpecError(`${where}: unsupported type ${String(schema.type)}`);
  }
  if (schema.required !== undefined && !Array.isArray(schema.required)) {
    throw new SpecError(`${where}: "required" is not a list`);
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum))
    throw new SpecError(`${where}: "enum" is not a list`);
  if (isRecord(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties))
      checkSchema(sub, `${where}.${name}`, definitions);
  }
  if (schema.items !== undefined) checkSchema(schema.items, `${where}[]`, definitions);
  if (isRecord(schema.additionalProperties)) {
    checkSchema(schema.additionalProperties, `${where}{}`, definitions);
  }
}

function parseOperations(paths: Record<string, unknown>, definitions: Record<string, unknown>): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    if (!isRecord(item)) throw new SpecError(`paths.${template} is not an object`);
    for (const [verb, op] of Object.entries(item)) {
      const method = verb.toUpperCase();
      if (method !== 'GET' && method !== 'PUT' && method !== 'PATCH') {
        throw new SpecError(`paths.${template}: unsupported method ${verb}`);
      }
      if (!isRecord(op) || typeof op.operationId !== 'string') {
        throw new SpecError(`paths.${template}.${verb}: missing operationId`);
      }
      const params = Array.isArray(op.parameters) ? op.parameters : [];
      let body: Operation['body'];
      for (const p of params) {
        if (isRecord(p) && p.in === 'body') {
          checkSchema(p.schema, `${op.operationId} body`, definitions);
          body = { schema: p.schema as Schema, required: p.required === true };
        }
      }
      operations.push({
        method,
        template,
        segments: template.split('/').filter((s) => s !== ''),
        operationId: op.operationId,
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}

/** Reads and checks the spec; throws SpecError naming the path and the problem. */
export function loadSpec(path: string): ApiSpec {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SpecError(`cannot read the Firecracker API description at ${path}: ${why} (set ${SPEC_ENV})`);
  }
  if (!isRecord(doc) || doc.swagger !== '2.0') throw new SpecError(`${path} is not a Swagger 2.0 document`);
  const info = isRecord(doc.info) ? doc.info : {};
  const version = String(info.version ?? '');
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new SpecError(`${path}: info.version "${version}" is not x.y.z`);
  if (!isRecord(doc.definitions) || !isRecord(doc.paths)) {
    throw new SpecError(`${path}: missing definitions or paths`);
  }
  const definitions = doc.definitions;
  try {
    for (const [name, schema] of Object.entries(definitions))
      checkSchema(schema, `definitions.${name}`, definitions);
    return {
      path,
      version,
      definitions: definitions as Record<string, Schema>,
      operations: parseOperations(doc.paths, definitions),
    };
  } catch (err) {
    if (err instanceof SpecError) throw new SpecError(`${path}: ${err.message}`);
    throw err;
  }
}
