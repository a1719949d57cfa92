/** Loading something from the API into a component: its state, and a way to load it again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';

export type Loaded<T> =
  | { readonly state: 'loading'; readonly value: T | undefined }
  | { readonly state: 'ready'; readonly value: T }
  | { readonly state: 'failed'; readonly error: ApiError; readonly value: T | undefined };

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, [{ code: 0, message: error instanceof Error ? error.message : String(error) }]);
}

/** Runs `load` when `deps` change (and on `reload()`); a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading', value: undefined });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setLoaded((previous) => ({ state: 'loading', value: previous.value }));
    load().then(
      (value) => {
        if (ticket === latest.current) setLoaded({ state: 'ready', value });
      },
      (error: unknown) => {
        if (ticket === latest.current)
          setLoaded((previous) => ({ state: 'failed', error: asApiError(error), value: previous.value }));
      },
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return [loaded, reload];
}
