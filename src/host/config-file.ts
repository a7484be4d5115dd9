import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { applyDefaults, type Config, configSchema, DROPPED_KEYS } from '../domain/config.js';
import { AppError } from '../domain/errors.js';
import { findKeyLine } from '../domain/toml-position.js';

/**
 * Loads and validates the config file. A missing file means "all defaults".
 * Any problem becomes one AppError('invalid_config') whose message names the
 * file, the line and the key: `config.toml:3: vm_defaults.vcpu: expected number, got string`.
 */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return applyDefaults({}, env);
    throw new AppError('invalid_config', `${file}: cannot read config: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      // Stryker disable next-line LogicalOperator,StringLiteral: split always gives a first element
      const first = err.message.split('\n')[0] ?? 'syntax error';
      throw new AppError('invalid_config', `${file}:${err.line}: ${first}; fix the TOML syntax`);
    }
    throw err;
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return applyDefaults(result.data, env);
  const issue = result.error.issues[0];
  // Stryker disable next-line StringLiteral: zod reports at least one issue for a failed parse
  if (!issue) throw new AppError('invalid_config', `${file}: invalid config`);
  // Stryker disable next-line ConditionalExpression: parsed TOML has no symbol keys; the filter is for the type
  let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') {
    // Stryker disable next-line StringLiteral: zod names at least one unrecognized key
    const key = issue.keys[0] ?? '';
    path = [...path, key];
    const hint = path.length === 1 && Object.hasOwn(DROPPED_KEYS, key) ? DROPPED_KEYS[key] : undefined;
    problem = hint
      ? `banger does not use this key: ${hint}`
      : 'unknown key; see the README for the list of config keys';
  }
  const line = findKeyLine(text, path);
  const where = line === undefined ? file : `${file}:${line}`;
  // Stryker disable next-line StringLiteral: every config issue has a key path (the top level is always a table)
  throw new AppError('invalid_config', `${where}: ${path.join('.') || '(top level)'}: ${problem}`);
}
