import { AppError } from '../../domain/errors.js';
import {
  ALLOWED_SHAPES,
  type ArgPattern,
  type CommandShape,
  type Placeholder,
  type PrivilegeGroup,
} from './allow-list.js';
import type { ToolPaths } from './tools.js';

/**
 * sudoers lines for the allow-list, for `banger doctor` and for the one-line
 * error when `sudo -n` refuses a command. Each allowed shape becomes one line
 * per choice of operation (e.g. `-A` and `-D`), with `*` for placeholders.
 * sudoers' `*` also matches spaces, so these lines are coarser than banger's
 * own allow-list, which is checked before sudo is ever called.
 */

/** A shape with every `oneOf` resolved to one literal: one sudoers line. */
export type ConcreteShape = CommandShape;

/** Expands `oneOf` placeholders into one shape per value. */
export function expandShapes(shapes: readonly CommandShape[] = ALLOWED_SHAPES): ConcreteShape[] {
  const out: ConcreteShape[] = [];
  for (const shape of shapes) {
    let variants: ArgPattern[][] = [[]];
    for (const arg of shape.args) {
      const choices: ArgPattern[] = typeof arg !== 'string' && arg.kind === 'oneOf' ? [...arg.values] : [arg];
      variants = variants.flatMap((prefix) => choices.map((c) => [...prefix, c]));
    }
    for (const args of variants) out.push({ group: shape.group, tool: shape.tool, args });
  }
  return out;
}

/** Escapes the characters sudoers treats specially inside a command word. */
function escapeSudoers(word: string): string {
  return word.replace(/[\\,:=!()]/g, (c) => `\\${c}`);
}

function renderArg(arg: ArgPattern): string {
  if (typeof arg === 'string') return escapeSudoers(arg);
  if (arg.kind === 'tag') return 'banger\\:*';
  return '*';
}

const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

/** One sudoers line allowing `shape` for `user` as root without a password. */
export function sudoersLine(user: string, shape: ConcreteShape, tools: ToolPaths): string {
  if (!USER_RE.test(user)) throw new AppError('internal', `"${user}" is not a user name sudoers can express`);
  const args = shape.args.map(renderArg);
  return [`${user} ALL=(root) NOPASSWD: ${tools[shape.tool]}`, ...args].join(' ');
}

/**
 * The sudoers lines banger needs when the daemon does not run as root (for
 * doctor, `system setup` and docs); all groups unless `groups` narrows them.
 */
export function renderSudoers(user: string, tools: ToolPaths, groups?: readonly PrivilegeGroup[]): string[] {
  return expandShapes()
    .filter((shape) => groups === undefined || groups.includes(shape.group))
    .map((shape) => sudoersLine(user, shape, tools));
}

const SAMPLE: Record<Exclude<Placeholder['kind'], 'oneOf'>, string> = {
  ifname: 'banger0',
  uid: '1000',
  mac: '06:00:ac:10:00:01',
  host32: '172.16.0.2/32',
  ifaddr: '172.16.0.1/24',
  tag: 'banger:example',
  alias: 'banger-pool',
  dnsServer: '172.16.0.1:42069',
  port: '42069',
};

/** Arguments that match a concrete shape: what doctor asks `sudo -l` about. */
export function sampleArgs(shape: ConcreteShape): string[] {
  return shape.args.map((arg) => {
    if (typeof arg === 'string') return arg;
    if (arg.kind === 'oneOf') return arg.values[0] ?? '';
    return SAMPLE[arg.kind];
  });
}

/** The shape among the concrete ones that `args` instantiates (for error messages). */
export function concreteShapeFor(shape: CommandShape, args: readonly string[]): ConcreteShape {
  return {
    group: shape.group,
    tool: shape.tool,
    args: shape.args.map((arg, i) =>
      typeof arg !== 'string' && arg.kind === 'oneOf' ? (args[i] ?? arg.values[0] ?? '') : arg,
    ),
  };
}
