import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf } from './api.js';

/** Images and kernels have no event stream: their lists are read again this often. */
export const ARTIFACTS_POLL_MS = 3000;

export interface Polled<T> {
  value: T | undefined;
  /** The last failure, one line; cleared by the next success. */
  error: string | undefined;
  /** The daemon's code for that failure (`not_found`, …), when it gave one. */
  errorCode: string | undefined;
  /** Loads again now (after a change made from this page), keeping the value shown meanwhile. */
  refresh: () => void;
}

const NOTHING = { value: undefined, error: undefined, errorCode: undefined };

/**
 * Calls `load` now and every `intervalMs` while the component is mounted;
 * a new `key` (what `load` reads, e.g. a VM id) starts over from nothing. A
 * failure keeps the last value, so a brief hiccup does not blank the page. A
 * new call waits for the previous one.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>(NOTHING);
  const again = useRef<() => void>(() => {});
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names what `load` reads; a new closure each render must not restart the timer
  useEffect(() => {
    setState(NOTHING);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const tick = async () => {
      if (inFlight) return;
      inFlight = true;
      clearTimeout(timer);
      try {
        const value = await load();
        if (!stopped) setState({ value, error: undefined, errorCode: undefined });
      } catch (err) {
        const errorCode = err instanceof ApiError ? err.code : undefined;
        if (!stopped) setState((s) => ({ value: s.value, error: messageOf(err), errorCode }));
      }
      inFlight = false;
      if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
    };
    again.current = () => void tick();
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, intervalMs]);
  return { ...state, refresh: () => again.current() };
}

/** The current time, updated every `intervalMs` (for counters such as uptime). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
