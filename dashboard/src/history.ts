// The view state read from and written to the browser's location: one history entry per
// change, so the back button walks back and popstate restores.
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { ViewState } from './url-state';
import { parseSearch, toSearch } from './url-state';

const POPSTATE = 'popstate';

function subscribe(notify: () => void) {
  window.addEventListener(POPSTATE, notify);
  return () => window.removeEventListener(POPSTATE, notify);
}

const getSearch = () => window.location.search;

export function useViewState(): [ViewState, (next: ViewState, options?: { replace?: boolean }) => void] {
  const search = useSyncExternalStore(subscribe, getSearch);
  const state = useMemo(() => parseSearch(search), [search]);
  const setState = useCallback((next: ViewState, options?: { replace?: boolean }) => {
    const nextSearch = toSearch(next);
    if (nextSearch === window.location.search) return;
    const url = `${window.location.pathname}${nextSearch}${window.location.hash}`;
    if (options?.replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    window.dispatchEvent(new PopStateEvent(POPSTATE));
  }, []);
  return [state, setState];
}

/** Whether a CSS media query matches, following changes. */
export function useMediaQuery(query: string): boolean {
  const subscribeQuery = useCallback(
    (notify: () => void) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', notify);
      return () => list.removeEventListener('change', notify);
    },
    [query],
  );
  return useSyncExternalStore(subscribeQuery, () => window.matchMedia(query).matches);
}

/** Whether the page is visible (auto-refresh pauses while it is hidden). */
export function useDocumentVisible(): boolean {
  return useSyncExternalStore(
    (notify) => {
      document.addEventListener('visibilitychange', notify);
      return () => document.removeEventListener('visibilitychange', notify);
    },
    () => !document.hidden,
  );
}
