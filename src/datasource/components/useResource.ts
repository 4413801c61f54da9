/**
 * Loads one resource answer and keeps it while its inputs stay the same. Errors are kept as text so the
 * editors can show them next to the picker that needed the data, not as a page-wide alert.
 */
import { useCallback, useEffect, useState } from 'react';

export interface ResourceState<T> {
  value: T | undefined;
  loading: boolean;
  error: string | undefined;
  reload: () => void;
}

export function useResource<T>(load: (() => Promise<T>) | undefined, key: string): ResourceState<T> {
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  // Which request an answer belongs to; loading is derived from it instead of being set from the effect.
  const request = load ? `${generation}|${key}` : undefined;
  const [state, setState] = useState<{ request?: string; value?: T; error?: string }>({});

  useEffect(() => {
    if (!load || request === undefined) {
      return;
    }
    let current = true;
    load().then(
      (value) => current && setState({ request, value }),
      (error: unknown) => current && setState({ request, error: describeError(error) }),
    );
    // Only the latest request may write: a slow answer for an old table must not replace a newer one.
    return () => {
      current = false;
    };
    // `load` is re-created on each render; `request` names what it loads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request]);

  const answered = request !== undefined && state.request === request;
  return {
    // The previous answer stays visible while the next one loads.
    value: load ? state.value : undefined,
    loading: request !== undefined && !answered,
    error: answered ? state.error : undefined,
    reload,
  };
}

/** Grafana's backendSrv rejects with {status, data: {message}}; fetch rejects with Error. */
export function describeError(error: unknown): string {
  if (error && typeof error === 'object') {
    const withData = error as { data?: { message?: string; error?: string }; message?: string; statusText?: string };
    return (
      withData.data?.message ?? withData.data?.error ?? withData.message ?? withData.statusText ?? 'request failed'
    );
  }
  return String(error);
}
