/**
 * The one error type that crosses layers. Each code is stable: it is part of
 * the API contract (HTTP status) and of the CLI contract (exit code), both
 * mapped in `errorCodes` below and documented in the README.
 */
export const errorCodes = {
  /** Bad flags, names, sizes or config values supplied by the user. */
  invalid_argument: { http: 400, exit: 2 },
  /** The config file is unreadable or fails validation. */
  invalid_config: { http: 400, exit: 3 },
  /** A referenced VM, image or kernel does not exist. */
  not_found: { http: 404, exit: 4 },
  /** The name is taken or the resource is in the wrong state for the request. */
  conflict: { http: 409, exit: 5 },
  /** A ref matches more than one resource. */
  ambiguous: { http: 409, exit: 5 },
  /** The host lacks something banger needs (tool, permission, /dev/kvm). */
  host_unsupported: { http: 424, exit: 6 },
  /** The daemon could not be reached or started. */
  daemon_unavailable: { http: 503, exit: 7 },
  /** A host command or a guest operation failed. */
  operation_failed: { http: 500, exit: 8 },
  /** Something timed out (guest readiness, a host command). */
  timeout: { http: 504, exit: 9 },
  /** Cancelled by the user (Ctrl-C). */
  cancelled: { http: 499, exit: 130 },
  /** A bug: anything not anticipated. */
  internal: { http: 500, exit: 70 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** A failure with a stable code and a message that tells the user what to do next. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('internal', message, { cause: err });
}
