// Turns an HTTP request into (spec operation, path id, validated body) the way
// Firecracker's parsed_request.rs does, including the order of its checks:
// body presence for the method, then the path, then the id in the path, then
// the JSON body, then path id == body id.
import { Fault, msg } from './faults.js';
import { JsonSyntaxError, parseJson } from './json-source.js';
import type { ApiSpec, Operation } from './spec.js';
import { validateBody } from './validate.js';

export interface ApiRequest {
  method: string;
  /** The request target; a query string is ignored. */
  path: string;
  /** The raw body, or undefined when the request had none. */
  body: string | undefined;
}

export interface Routed {
  op: Operation;
  /** The `{param}` segment of the path, if the operation has one. */
  id: string | undefined;
  /** The validated body (plain JSON), or undefined when the operation takes none. */
  body: unknown;
}

/** Operations whose body struct makes every field optional in Firecracker, whatever the spec's `required` says. */
const PARTIAL_BODY = new Set(['patchMachineConfiguration']);

/** Path ids go through Firecracker's checked_id: non-empty, alphanumeric or underscore. */
function checkedId(id: string | undefined): string {
  if (id === undefined || id === '') throw new Fault(msg.emptyId);
  if (!/^[\p{L}\p{N}_]+$/u.test(id)) throw new Fault(msg.invalidId);
  return id;
}

function matchOperation(
  spec: ApiSpec,
  method: string,
  tokens: string[],
): { op: Operation; id?: string } | undefined {
  for (const op of spec.operations) {
    if (op.method !== method) continue;
    const segs = op.segments;
    const last = segs.at(-1);
    const lastIsParam = last?.startsWith('{') === true;
    // Firecracker reaches the id check with the id missing ("PUT /drives" -> "The ID cannot be empty.").
    const lengthOk = tokens.length === segs.length || (lastIsParam && tokens.length === segs.length - 1);
    if (!lengthOk) continue;
    const staticOk = segs.every((seg, k) => seg.startsWith('{') || seg === tokens[k]);
    if (!staticOk) continue;
    if (lastIsParam) return { op, id: tokens[segs.length - 1] ?? '' };
    return { op };
  }
  return undefined;
}

function parseAndValidate(spec: ApiSpec, op: Operation, raw: string): unknown {
  const schema = op.body?.schema;
  if (!schema) return undefined;
  let node: ReturnType<typeof parseJson>;
  try {
    node = parseJson(raw);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new Fault(msg.serde(err.message, err.pos));
    throw err;
  }
  return validateBody(node, schema, spec.definitions, { ignoreRequired: PARTIAL_BODY.has(op.operationId) });
}

function checkIdsMatch(op: Operation, id: string, body: unknown): void {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (op.template.startsWith('/network-interfaces/')) {
    const bodyId = String(record.iface_id);
    if (bodyId !== id) throw new Fault(msg.netIdMismatch(id, bodyId));
    return;
  }
  const bodyId = op.template.startsWith('/drives/') ? record.drive_id : record.id;
  if (bodyId !== id) throw new Fault(msg.driveIdMismatch);
}

/** Routes and validates one request; throws a Fault exactly where Firecracker would answer 400. */
export function routeRequest(spec: ApiSpec, req: ApiRequest): Routed {
  const path = req.path.split('?')[0] ?? '';
  const tokens = path.replace(/^\/+/, '').split('/');
  while (tokens.length > 0 && tokens.at(-1) === '') tokens.pop();
  const first = tokens[0] ?? '';
  const hasBody = req.body !== undefined && req.body.length > 0;
  const method = req.method.toUpperCase();
  if (method === 'GET' && hasBody) throw new Fault(msg.getWithBody);
  if (method === 'PUT' && !hasBody) throw new Fault(msg.emptyPut);
  // Firecracker routes PATCH /balloon/... before its empty-body check (hinting/stop takes no body).
  if (method === 'PATCH' && !hasBody && first !== 'balloon') throw new Fault(msg.emptyPatch);
  const match = matchOperation(spec, method, tokens);
  if (!match) throw new Fault(msg.invalidPath(method, first));
  const id = match.id === undefined ? undefined : checkedId(match.id);
  const body = hasBody ? parseAndValidate(spec, match.op, req.body ?? '') : undefined;
  if (id !== undefined) checkIdsMatch(match.op, id, body);
  return { op: match.op, id, body };
}
