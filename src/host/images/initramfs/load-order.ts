import { AppError } from '../../../domain/errors.js';

export interface ModuleRequest {
  name: string;
  /** A required module (or any dependency of one) that cannot be found fails the build. */
  required: boolean;
}

/** What a lookup knows about a module name. */
export type ModuleSource<T> =
  | { kind: 'builtin' }
  | { kind: 'file'; relPath: string; deps: readonly string[]; payload: T };

interface LoadStep<T> {
  name: string;
  relPath: string;
  required: boolean;
  payload: T;
}

export interface LoadPlan<T> {
  /** Modules to insmod, dependencies before dependants. */
  load: LoadStep<T>[];
  /** Requested or needed modules that are built into the kernel. */
  builtin: string[];
  /** Optional modules skipped because they (or a dependency) are absent. */
  skipped: string[];
}

/** Module names use `_` and `-` interchangeably (the kernel normalises to `_`). */
export function normaliseModuleName(name: string): string {
  return name.trim().replaceAll('-', '_');
}

/**
 * Computes an insmod order for `requests` and everything they depend on:
 * a depth-first post-order, so each module comes after all of its
 * dependencies and each module appears once. Required requests are
 * resolved first so a module needed by both stays required.
 */
export async function planModuleLoad<T>(
  requests: readonly ModuleRequest[],
  lookup: (name: string) => Promise<ModuleSource<T> | undefined>,
): Promise<LoadPlan<T>> {
  const plan: LoadPlan<T> = { load: [], builtin: [], skipped: [] };
  const done = new Set<string>();
  const sources = new Map<string, ModuleSource<T> | undefined>();
  const find = async (name: string) => {
    if (!sources.has(name)) sources.set(name, await lookup(name));
    return sources.get(name);
  };

  // Returns the chain to a missing module, or undefined when `name` and its deps are all available.
  const missing = async (name: string, path: string[]): Promise<string[] | undefined> => {
    if (done.has(name)) return undefined;
    if (path.includes(name)) {
      throw new AppError(
        'operation_failed',
        `kernel modules depend on each other in a cycle: ${[...path, name].join(' → ')}`,
      );
    }
    const source = await find(name);
    if (!source) return [...path, name];
    if (source.kind === 'file') {
      for (const dep of source.deps.map(normaliseModuleName)) {
        const chain = await missing(dep, [...path, name]);
        if (chain) return chain;
      }
    }
    return undefined;
  };

  const add = async (name: string, required: boolean): Promise<void> => {
    if (done.has(name)) return;
    const source = await find(name);
    if (!source) return;
    if (source.kind === 'builtin') {
      plan.builtin.push(name);
    } else {
      for (const dep of source.deps.map(normaliseModuleName)) await add(dep, required);
      plan.load.push({ name, relPath: source.relPath, required, payload: source.payload });
    }
    done.add(name);
  };

  const ordered = [...requests.filter((r) => r.required), ...requests.filter((r) => !r.required)];
  for (const request of ordered) {
    const name = normaliseModuleName(request.name);
    const chain = await missing(name, []);
    if (chain) {
      if (!request.required) {
        plan.skipped.push(name);
        continue;
      }
      const via = chain.length > 1 ? ` (needed via ${chain.join(' → ')})` : '';
      throw new AppError(
        'operation_failed',
        `kernel module ${chain.at(-1)}${via} is neither built into the kernel nor present in its modules directory; this kernel cannot boot a banger VM`,
      );
    }
    await add(name, request.required);
  }
  return plan;
}
