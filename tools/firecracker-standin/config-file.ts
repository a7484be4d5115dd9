// --config-file: Firecracker's "configure from one JSON" mode. Each section is
// fed through the same routing, validation and state machine as the matching
// API call, then the microVM is started.
import { readFileSync } from 'node:fs';
import { Fault } from './faults.js';
import { routeRequest } from './routes.js';
import type { ApiSpec } from './spec.js';
import type { Vmm } from './vmm.js';

/** Section of the config file -> the API call that applies it (arrays: one call per item, id from the item). */
const SECTIONS: Record<string, { path: string; idField?: string }> = {
  logger: { path: '/logger' },
  metrics: { path: '/metrics' },
  'machine-config': { path: '/machine-config' },
  'boot-source': { path: '/boot-source' },
  drives: { path: '/drives', idField: 'drive_id' },
  'network-interfaces': { path: '/network-interfaces', idField: 'iface_id' },
  vsock: { path: '/vsock' },
  entropy: { path: '/entropy' },
  balloon: { path: '/balloon' },
  'mmds-config': { path: '/mmds/config' },
  'cpu-config': { path: '/cpu-config' },
  pmem: { path: '/pmem', idField: 'id' },
  'memory-hotplug': { path: '/hotplug/memory' },
};

/** Applies a config file and starts the microVM; throws an Error with Firecracker's wording on failure. */
export async function runConfigFile(spec: ApiSpec, vmm: Vmm, file: string): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Configuration for VMM from one single json failed: ${String(err)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error('Configuration for VMM from one single json failed: the file is not a JSON object');
  }
  const allowed = Object.keys(spec.definitions.FullVmConfiguration?.properties ?? {});
  try {
    for (const [key, value] of Object.entries(doc)) {
      const section = SECTIONS[key];
      if (!section || !allowed.includes(key)) {
        throw new Fault(
          `unknown field \`${key}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
        );
      }
      if (value === null) continue;
      const items: unknown[] = section.idField ? (Array.isArray(value) ? value : [value]) : [value];
      for (const item of items) {
        const id = section.idField
          ? String((item as Record<string, unknown>)[section.idField] ?? '')
          : undefined;
        const path = id === undefined ? section.path : `${section.path}/${id}`;
        const routed = routeRequest(spec, { method: 'PUT', path, body: JSON.stringify(item) });
        await vmm.handle(routed);
      }
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Configuration for VMM from one single json failed: ${why}`);
  }
  try {
    await vmm.handle(
      routeRequest(spec, { method: 'PUT', path: '/actions', body: '{"action_type":"InstanceStart"}' }),
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not Start MicroVM from one single json: ${why}`);
  }
}
