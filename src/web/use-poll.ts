import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from './api.js';

/** Images and kernels have no event stream: their lists are read again this often. */
export const ARTIFACTS_POLL_MS = 3000;

export interface Polled<T> {
  value: T | undefined;
  /** The last failure, one line; cleared by the next success. */
  error: string | undefined;
  /** Loads again now (after a change made from this page), keeping the value shown meanwhile. */
  refresh: () => void;
}

/**
 * Calls `load` now and every `intervalMs` while the component is mounted;
 * a new `key` (what `load` reads, e.g. a VM id) starts over from nothing. A
 * failure keeps the last value, so a brief hiccup does not blank the page. A
 * new call waits for the previous one.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ value: T | undefined; error: string | undefined }>({
    value: undefined,
    error: undefined,
  });
  const again = useRef<() => void>(() => {});
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names what `load` reads; a new closure each render must not restart the timer
  useEffect(() => {
    setState({ value: undefined, error: undefined });
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const tick = async () => {
      if (inFlight) return;
      inFlight = true;
      clearTimeout(timer);
      try {
        const value = await load();
        if (!stopped) setState({ value, error: undefined });
      } catch (err) {
        if (!stopped) setState((s) => ({ value: s.value, error: messageOf(err) }));
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
