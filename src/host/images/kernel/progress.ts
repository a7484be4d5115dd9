/** A progress event from a long operation; the daemon maps these to its NDJSON stream. */
interface ProgressEvent {
  stage: string;
  message: string;
}

export type ProgressFn = (event: ProgressEvent) => void;
