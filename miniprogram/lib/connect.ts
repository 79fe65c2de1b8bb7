// Binds a page instance to the store: render now and on every change, stop on detach.
import { subscribe } from './store';
import type { AppViewModel } from './view-model';

const subscriptions = new WeakMap<object, () => void>();

export function connect(instance: object, render: (vm: AppViewModel) => void): void {
  disconnect(instance);
  subscriptions.set(instance, subscribe(render));
}

export function disconnect(instance: object): void {
  const unsubscribe = subscriptions.get(instance);
  if (unsubscribe) unsubscribe();
  subscriptions.delete(instance);
}

/** `data-*` attributes of the element that got the event (WXML `data-chat-id` -> `chatId`). */
export function datasetOf(event: unknown): Record<string, unknown> {
  const target = (event as { currentTarget?: { dataset?: Record<string, unknown> } } | null)?.currentTarget;
  return target?.dataset ?? {};
}

/** `detail.value` of an input event, as a string. */
export function inputValue(event: unknown): string {
  const value = (event as { detail?: { value?: unknown } } | null)?.detail?.value;
  return typeof value === 'string' ? value : '';
}

/** Page path with query, URL-encoding every value. */
export function pageUrl(page: string, query: Record<string, string>): string {
  const q = Object.keys(query)
    .map((k) => `${k}=${encodeURIComponent(query[k]!)}`)
    .join('&');
  return q ? `/pages/${page}/index?${q}` : `/pages/${page}/index`;
}
