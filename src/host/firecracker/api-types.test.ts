// Checks the hand-written API types against Firecracker's official API
// description, read at runtime (never copied into the repo): every request
// banger sends must name a real operation, send only fields the definition
// has, with the right types, and send every required field.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveSpecPath } from '../../../tools/firecracker-standin/spec.js';
import { type FcRequest, fcRequests } from './api-types.js';
import type { VmLaunchSpec } from './driver.js';
import { launchRequests } from './launch-plan.js';

const _SPEC_FILE = 'firecracker-api-v1.16.1.yaml';
const _REPO = resolve(import.meta.dirname, '..', '..', '..');

/** The same lookup as the stand-in's: env, next to the repository, then the workspace default. */
function specPath(): string {
  return resolveSpecPath(undefined);
}

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: { in: string; required?: boolean; schema?: Schema }[];
  responses?: Record<string, { schema?: Schema }>;
}

interface Spec {
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, Operation>>;
}

let spec: Spec;

beforeAll(() => {
  const path = specPath();
  if (!existsSync(path)) {
    throw new Error(`Firecracker API description not found at ${path}; set BANGER_FIRECRACKER_API_SPEC`);
  }
  spec = parse(readFileSync(path, 'utf8')) as Spec;
});

function deref(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/definitions/', '');
  const target = spec.definitions[name];
  if (!target) throw new Error(`unresolvable ${schema.$ref}`);
  return deref(target);
}

/** Everything wrong with `value` as an instance of `schema`, as readable lines. */
function problems(value: unknown, schema: Schema, where: string): string[] {
  const s = deref(schema);
  const out: string[] = [];
  if (s.enum && !s.enum.includes(value))
    out.push(`${where}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${where}: not an object`];
      const record = value as Record<string, unknown>;
      for (const [key, v] of Object.entries(record)) {
        const sub = s.properties?.[key];
        if (sub) out.push(...problems(v, sub, `${where}.${key}`));
        else if (typeof s.additionalProperties === 'object')
          out.push(...problems(v, s.additionalProperties, `${where}.${key}`));
        else if (s.additionalProperties !== true) out.push(`${where}: unknown field ${key}`);
      }
      for (const key of s.required ?? [])
        if (!(key in record)) out.push(`${where}: required field ${key} missing`);
      break;
    }
    case 'string':
      if (typeof value !== 'string') out.push(`${where}: not a string`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (s.type === 'integer' && !Number.isInteger(value))) {
        out.push(`${where}: not an ${s.type}`);
      } else {
        if (s.minimum !== undefined && value < s.minimum) out.push(`${where}: below ${s.minimum}`);
        if (s.maximum !== undefined && value > s.maximum) out.push(`${where}: above ${s.maximum}`);
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${where}: not a boolean`);
      break;
    case 'array':
      if (!Array.isArray(value)) out.push(`${where}: not an array`);
      else
        value.forEach((v, i) => {
          out.push(...problems(v, s.items ?? {}, `${where}[${i}]`));
        });
      break;
    default:
      if (s.type !== undefined) out.push(`${where}: unknown schema type ${s.type}`);
  }
  return out;
}

/** The spec operation a request hits, matching `{param}` path segments. */
function operationFor(req: FcRequest): Operation {
  const parts = req.path.split('/').filter(Boolean);
  for (const [template, item] of Object.entries(spec.paths)) {
    const segs = template.split('/').filter(Boolean);
    if (segs.length !== parts.length) continue;
    if (!segs.every((seg, i) => seg.startsWith('{') || seg === parts[i])) continue;
    const op = item[req.method.toLowerCase()];
    if (op) return op;
  }
  throw new Error(`${req.method} ${req.path} is not an operation of the Firecracker API`);
}

/** Checks a request: right operation, body fields and types per the definition, body present when required. */
function checkRequest(req: FcRequest): string[] {
  const op = operationFor(req);
  const out: string[] = [];
  if (op.operationId !== req.operationId)
    out.push(`${req.path}: operation is ${op.operationId}, not ${req.operationId}`);
  const bodyParam = op.parameters?.find((p) => p.in === 'body');
  if (req.body === undefined) {
    if (bodyParam?.required) out.push(`${req.operationId}: body required`);
    return out;
  }
  if (!bodyParam?.schema) return [...out, `${req.operationId}: takes no body`];
  return [...out, ...problems(req.body, bodyParam.schema, req.operationId)];
}

const sample: VmLaunchSpec = {
  vmId: '0123456789abcdef',
  vmDir: '/state/vms/0123456789abcdef',
  firecrackerBin: '/usr/bin/firecracker',
  vcpu: 2,
  memoryMib: 1024,
  kernel: { vmlinux: '/k/vmlinux', initrd: '/k/initrd.img' },
  bootArgs: 'console=ttyS0',
  drives: [
    { id: 'rootfs', path: '/i/rootfs.ext4', readOnly: true, isRoot: true },
    { id: 'system', path: '/v/system.ext4', readOnly: false, isRoot: false },
    { id: 'work', path: '/v/work.ext4', readOnly: false, isRoot: false },
  ],
  net: { tap: 'bgr-0123456789ab', mac: '06:00:ac:10:00:02' },
  vsock: { cid: 3, udsPath: '/state/vms/0123456789abcdef/vsock.sock' },
};

const everyRequest: FcRequest[] = [
  ...launchRequests(sample),
  ...launchRequests({ ...sample, restore: { statePath: '/s/vm.state', memPath: '/s/vm.mem' } }),
  fcRequests.describeInstance(),
  fcRequests.action('SendCtrlAltDel'),
  fcRequests.action('FlushMetrics'),
  fcRequests.patchVm({ state: 'Paused' }),
  fcRequests.patchVm({ state: 'Resumed' }),
  fcRequests.createSnapshot({
    snapshot_path: '/s/vm.state',
    mem_file_path: '/s/vm.mem',
    snapshot_type: 'Full',
  }),
];

describe('requests banger sends, checked against the official Firecracker API description', () => {
  it.each(everyRequest.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, req) => {
    expect(checkRequest(req)).toEqual([]);
  });

  it('cover logger, metrics, machine, boot source, three drives, network, vsock and InstanceStart', () => {
    expect(launchRequests(sample).map((r) => r.operationId)).toEqual([
      'putLogger',
      'putMetrics',
      'putMachineConfiguration',
      'putGuestBootSource',
      'putGuestDriveByID',
      'putGuestDriveByID',
      'putGuestDriveByID',
      'putGuestNetworkInterfaceByID',
      'putGuestVsock',
      'createSyncAction',
    ]);
  });

  it("restore from a snapshot with logger, metrics and the load alone, on this VM's TAP and vsock socket", () => {
    const restore = launchRequests({
      ...sample,
      restore: { statePath: '/s/vm.state', memPath: '/s/vm.mem' },
    });
    expect(restore.map((r) => r.operationId)).toEqual(['putLogger', 'putMetrics', 'loadSnapshot']);
    expect(restore[2]?.body).toEqual({
      snapshot_path: '/s/vm.state',
      mem_backend: { backend_type: 'File', backend_path: '/s/vm.mem' },
      resume_vm: true,
      network_overrides: [{ iface_id: 'eth0', host_dev_name: 'bgr-0123456789ab' }],
      vsock_override: { uds_path: '/state/vms/0123456789abcdef/vsock.sock' },
    });
  });

  it('read only fields of InstanceInfo that the description defines', () => {
    const answer = operationFor(fcRequests.describeInstance()).responses?.['200']?.schema;
    const info = deref(answer ?? {});
    for (const field of ['app_name', 'id', 'state', 'vmm_version'])
      expect(info.properties).toHaveProperty(field);
    expect(deref(info.properties?.state ?? {}).enum).toEqual(['Not started', 'Running', 'Paused']);
  });
});

describe('the checker itself', () => {
  const drive = fcRequests.putDrive({
    drive_id: 'x',
    path_on_host: '/p',
    is_root_device: false,
    is_read_only: true,
  });
  const withBody = (body: object): FcRequest => ({ ...drive, body });

  it('finds unknown fields, wrong types, missing required fields and out-of-range values', () => {
    expect(checkRequest(withBody({ ...drive.body, bogus: 1 }))).toEqual([
      'putGuestDriveByID: unknown field bogus',
    ]);
    expect(checkRequest(withBody({ ...drive.body, is_read_only: 'yes' }))).toEqual([
      'putGuestDriveByID.is_read_only: not a boolean',
    ]);
    expect(checkRequest(withBody({ drive_id: 'x' }))).toEqual([
      'putGuestDriveByID: required field is_root_device missing',
    ]);
    expect(checkRequest(fcRequests.putMachineConfig({ vcpu_count: 0, mem_size_mib: 1.5 }))).toEqual([
      'putMachineConfiguration.vcpu_count: below 1',
      'putMachineConfiguration.mem_size_mib: not an integer',
    ]);
    expect(
      checkRequest({ ...fcRequests.putVsock({ guest_cid: 3, uds_path: '/x' }), body: undefined }),
    ).toEqual(['putGuestVsock: body required']);
    expect(() => checkRequest({ operationId: 'x', method: 'PUT', path: '/nope' })).toThrow(
      /not an operation/,
    );
  });
});
