// The view-model store and the intent bus: the one seam between pages and the SDK.
// The SDK (later) calls setViewModel and listens with onIntent; pages subscribe and dispatch.
import type { Intent } from './intents';
import { assertPlainData } from './plain-data';
import { emptyViewModel, type AppViewModel } from './view-model';

type Listener<T> = (value: T) => void;

let current: AppViewModel = emptyViewModel();
const viewListeners = new Set<Listener<AppViewModel>>();
const intentListeners = new Set<Listener<Intent>>();

export function getViewModel(): AppViewModel {
  return current;
}

/** Replaces the view model (checked to be plain data) and notifies every subscribed page. */
export function setViewModel(next: AppViewModel): void {
  assertPlainData(next);
  current = next;
  for (const listener of [...viewListeners]) listener(current);
}

/** Calls `listener` now and on every change; returns the unsubscribe function. */
export function subscribe(listener: Listener<AppViewModel>): () => void {
  viewListeners.add(listener);
  listener(current);
  return () => viewListeners.delete(listener);
}

/** A page asks for something. Intents are plain data too. */
export function dispatch(intent: Intent): void {
  assertPlainData(intent);
  for (const listener of [...intentListeners]) listener(intent);
}

export function onIntent(listener: Listener<Intent>): () => void {
  intentListeners.add(listener);
  return () => intentListeners.delete(listener);
}

/** Test and logout helper: back to the empty model, no listeners kept. */
export function resetStore(): void {
  current = emptyViewModel();
  viewListeners.clear();
  intentListeners.clear();
}

/** setData through the plain-data guard (every page uses this, never this.setData directly). */
export function safeSetData(page: { setData(data: Record<string, unknown>): void }, data: Record<string, unknown>): void {
  assertPlainData(data);
  page.setData(data);
}
