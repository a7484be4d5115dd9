// Firecracker's command line (src/firecracker/src/main.rs), parsed the way its
// ArgParser does: `--name value` or `--name=value`, unknown arguments and
// repeated ones are errors. Flags the stand-in cannot honour are accepted and
// ignored, so a Firecracker command line always parses. Two flags are the
// stand-in's own: --no-guest and --api-spec.

export interface CliOptions {
  apiSock: string;
  id: string;
  logPath: string | undefined;
  level: string | undefined;
  showLevel: boolean;
  showLogOrigin: boolean;
  metricsPath: string | undefined;
  configFile: string | undefined;
  noApi: boolean;
  help: boolean;
  version: boolean;
  /** Stand-in only: keep the API and state machine but run no guest. Also $BANGER_STANDIN_NO_GUEST=1. */
  noGuest: boolean;
  /** Stand-in only: path of Firecracker's swagger description (else $BANGER_FIRECRACKER_API_SPEC, then defaults). */
  apiSpec: string | undefined;
}

const NO_GUEST_ENV = 'BANGER_STANDIN_NO_GUEST';
const DEFAULT_API_SOCK = '/run/firecracker.socket';
export const DEFAULT_ID = 'anonymous-instance';

/** Firecracker's flags and whether each takes a value. */
const FLAGS: Record<string, boolean> = {
  'api-sock': true,
  id: true,
  'seccomp-filter': true,
  'no-seccomp': false,
  'start-time-us': true,
  'start-time-cpu-us': true,
  'parent-cpu-time-us': true,
  'config-file': true,
  metadata: true,
  'no-api': false,
  'log-path': true,
  level: true,
  module: true,
  'show-level': false,
  'show-log-origin': false,
  'metrics-path': true,
  'boot-timer': false,
  version: false,
  'snapshot-version': false,
  'describe-snapshot': true,
  'http-api-max-payload-size': true,
  'mmds-size-limit': true,
  'enable-pci': false,
  help: false,
  'no-guest': false,
  'api-spec': true,
};

/** An argument error, worded like Firecracker's UtilsArgParserError. */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

/** Firecracker's validate_instance_id: 1 to 64 characters, alphanumeric or '-'. */
export function validInstanceId(id: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(id);
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const values = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--'))
      throw new ArgError(`Found argument '${arg}' which wasn't expected, or isn't valid in this context.`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const takesValue = FLAGS[name];
    if (takesValue === undefined) {
      throw new ArgError(`Found argument '${name}' which wasn't expected, or isn't valid in this context.`);
    }
    if (values.has(name)) throw new ArgError(`The argument '${name}' was provided more than once.`);
    if (!takesValue) {
      if (eq !== -1)
        throw new ArgError(
          `Argument '${name}' does not take a value, but a value was supplied: '${arg.slice(eq + 1)}'.`,
        );
      values.set(name, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      throw new ArgError(`The argument '${name}' requires a value, but none was supplied.`);
    }
    values.set(name, value);
  }
  if (values.has('no-seccomp') && values.has('seccomp-filter')) {
    throw new ArgError("Argument 'no-seccomp' cannot be used together with argument 'seccomp-filter'.");
  }
  if (values.has('no-api') && !values.has('config-file')) {
    throw new ArgError("Argument 'config-file' required, but not found.");
  }
  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  return {
    apiSock: str('api-sock') ?? DEFAULT_API_SOCK,
    id: str('id') ?? DEFAULT_ID,
    logPath: str('log-path'),
    level: str('level'),
    showLevel: values.has('show-level'),
    showLogOrigin: values.has('show-log-origin'),
    metricsPath: str('metrics-path'),
    configFile: str('config-file'),
    noApi: values.has('no-api'),
    help: values.has('help'),
    version: values.has('version'),
    noGuest: values.has('no-guest') || env[NO_GUEST_ENV] === '1',
    apiSpec: str('api-spec'),
  };
}

export function helpText(version: string): string {
  return `Firecracker v${version}

This is banger's Firecracker STAND-IN, not Firecracker: it speaks Firecracker's
command line and HTTP API (checked against the official API description) and
boots the guest with qemu-system-x86_64 -M microvm. For tests on hosts without
KVM or Firecracker.

Arguments (Firecracker's):
  --api-sock PATH        Path to unix domain socket used by the API. [default: ${DEFAULT_API_SOCK}]
  --id ID                MicroVM unique identifier. [default: ${DEFAULT_ID}]
  --config-file PATH     Configure and start the microVM from a JSON file.
  --no-api               Run without an API socket (needs --config-file).
  --log-path PATH        Existing file or FIFO for the log (default: stdout).
  --level LEVEL          Error, Warning, Info (default), Debug, Trace, Off.
  --show-level, --show-log-origin, --metrics-path PATH
  --version              Print the version.
  (--seccomp-filter, --no-seccomp, --boot-timer, --module, --metadata, --enable-pci,
   --http-api-max-payload-size, --mmds-size-limit, --*-time-us: accepted and ignored.)

Stand-in only:
  --no-guest             Full API and state machine, no QEMU (also ${NO_GUEST_ENV}=1).
  --api-spec PATH        Firecracker API description (also BANGER_FIRECRACKER_API_SPEC).

Environment: BANGER_STANDIN_ACCEL=auto|kvm|tcg, BANGER_STANDIN_QEMU (QEMU binary),
BANGER_STANDIN_TSC_KHZ (host TSC for tsc_early_khz under TCG).
`;
}
