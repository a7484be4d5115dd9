import { InvalidArgumentError } from 'commander';

/** Commander parser for positive integers (`--vcpu 2`); range checks are the daemon's. */
export function integerArg(value: string): number {
  if (!/^-?[0-9]+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}
