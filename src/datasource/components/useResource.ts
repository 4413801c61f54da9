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
  const [state, setState] = useState<{ value?: T; loading: boolean; error?: string }>({ loading: false });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    if (!load) {
      setState({ loading: false });
      return;
    }
    let current = true;
    setState((previous) => ({ value: previous.value, loading: true }));
    load().then(
      (value) => current && setState({ value, loading: false }),
      (error: unknown) => current && setState({ loading: false, error: describeError(error) }),
    );
    // Only the latest request may write: a slow answer for an old table must not replace a newer one.
    return () => {
      current = false;
    };
    // `load` is re-created on each render; `key` names what it loads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);

  return { value: state.value, loading: state.loading, error: state.error, reload };
}

/** Grafana's backendSrv rejects with {status, data: {message}}; fetch rejects with Error. */
export function describeError(error: unknown): string {
  if (error && typeof error === 'object') {
    const withData = error as { data?: { message?: string; error?: string }; message?: string; statusText?: string };
    return withData.data?.message ?? withData.data?.error ?? withData.message ?? withData.statusText ?? 'request failed';
  }
  return String(error);
}
