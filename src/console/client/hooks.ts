/** Data loading, delays and timers as hooks. */
import { useCallback, useEffect, useRef, useState } from "hono/jsx/dom";

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  /** A load is under way (the previous data stays shown meanwhile). */
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/**
 * Loads with `load` whenever `deps` change (aborting a load still under way), and on `reload()`.
 * The data of the last load stays until the next one answers, so a refresh does not flicker.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback(
    (data: T) => setState({ data, error: undefined, loading: false }),
    [],
  );
  return { ...state, reload, setData };
}

/** True once `flag` has stayed true for `ms` (a loading state only for what is slow). */
export function useDelayed(flag: boolean, ms = 200): boolean {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!flag) {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), ms);
    return () => clearTimeout(timer);
  }, [flag, ms]);
  return flag && shown;
}

/** Calls `fn` every `ms` while `enabled` and the tab is visible. */
export function useInterval(fn: () => void, ms: number, enabled = true): void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") fnRef.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms, enabled]);
}

/** `value`, once it has not changed for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Re-renders every `ms` (relative times, countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** An action with its own busy and error state, for a button. */
export function useAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
): {
  run: (...args: A) => Promise<R | undefined>;
  busy: boolean;
  error: unknown;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      return await actionRef.current(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { run, busy, error, clear };
}

export interface PagedSource<T> {
  page(cursor?: string): Promise<{ data: T[]; next_cursor: string | null }>;
}

export interface Paged<T> {
  items: T[];
  /** More pages exist. */
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: unknown;
  more: () => void;
  reload: () => void;
  /** Replaces one item (after an action answered with its new state). */
  update: (match: (item: T) => boolean, next: T) => void;
}

/**
 * A list read page by page: each load follows `next_cursor` until it has `want` items or
 * `maxPages` pages (filtered pages may be short or empty while more follow), and `more()` goes on
 * from there. `reload()` reads the first pages again, keeping the list shown meanwhile.
 */
export function usePaged<T>(
  source: (signal: AbortSignal) => PagedSource<T>,
  deps: unknown[],
  options: { want?: number; maxPages?: number } = {},
): Paged<T> {
  const want = options.want ?? 50;
  const maxPages = options.maxPages ?? 10;
  const [state, setState] = useState<{
    items: T[];
    cursor: string | null;
    loading: boolean;
    loadingMore: boolean;
    error: unknown;
  }>({ items: [], cursor: null, loading: true, loadingMore: false, error: undefined });
  const [generation, setGeneration] = useState(0);
  const sourceRef = useRef(source);
  sourceRef.current = source;
  const controllerRef = useRef<AbortController | null>(null);

  const fetchFrom = useCallback(
    async (cursor: string | undefined, signal: AbortSignal) => {
      const list = sourceRef.current(signal);
      const items: T[] = [];
      let next: string | undefined = cursor;
      for (let page = 0; page < maxPages; page++) {
        const answer = await list.page(next);
        items.push(...answer.data);
        next = answer.next_cursor ?? undefined;
        if (!next || items.length >= want) break;
      }
      return { items, cursor: next ?? null };
    },
    [want, maxPages],
  );

  useEffect(() => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    fetchFrom(undefined, controller.signal).then(
      ({ items, cursor }) => {
        if (!controller.signal.aborted)
          setState({ items, cursor, loading: false, loadingMore: false, error: undefined });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, error }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);

  const stateRef = useRef(state);
  stateRef.current = state;
  const more = useCallback(() => {
    const { cursor, loadingMore } = stateRef.current;
    if (!cursor || loadingMore) return;
    const controller = controllerRef.current ?? new AbortController();
    setState((s) => ({ ...s, loadingMore: true, error: undefined }));
    fetchFrom(cursor, controller.signal).then(
      ({ items, cursor: next }) => {
        if (!controller.signal.aborted)
          setState((s) => ({
            ...s,
            items: [...s.items, ...items],
            cursor: next,
            loadingMore: false,
          }));
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loadingMore: false, error }));
      },
    );
  }, [fetchFrom]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((matches: (item: T) => boolean, next: T) => {
    setState((s) => ({ ...s, items: s.items.map((item) => (matches(item) ? next : item)) }));
  }, []);

  return {
    items: state.items,
    hasMore: state.cursor !== null,
    loading: state.loading,
    loadingMore: state.loadingMore,
    error: state.error,
    more,
    reload,
    update,
  };
}
