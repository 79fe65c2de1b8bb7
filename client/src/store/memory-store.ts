// In-memory LocalStore with the same observable behaviour as the file stores: values and
// records are copied in and out, names are validated the same way, close() is final.
import { STORE_CLOSED, storeError } from './errors';
import { encodeFrames } from './frame';
import { assertStoreValue } from './value';
import { assertName, assertPrefix } from './names';
import type { LocalStore } from './types';

/** What a memory store holds; pass the same backing to a new store to simulate a restart. */
export interface MemoryBacking {
  readonly values: Map<string, Uint8Array>;
  readonly logs: Map<string, Uint8Array[]>;
}

export function createMemoryBacking(): MemoryBacking {
  return { values: new Map(), logs: new Map() };
}

export function createMemoryStore(backing: MemoryBacking = createMemoryBacking()): LocalStore {
  const { values, logs } = backing;
  let closed = false;

  function open(operation: string): void {
    if (closed) throw storeError(STORE_CLOSED, 'the store is closed', operation);
  }

  return {
    kind: 'memory',
    async get(key) {
      assertName('key', key);
      open('get');
      const v = values.get(key);
      return v ? v.slice() : undefined;
    },
    async put(key, value) {
      assertName('key', key);
      assertStoreValue(value);
      open('put');
      values.set(key, value.slice());
    },
    async delete(key) {
      assertName('key', key);
      open('delete');
      values.delete(key);
    },
    async keys(prefix) {
      assertPrefix(prefix);
      open('keys');
      return [...values.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
    async append(name, records) {
      assertName('name', name);
      encodeFrames(records); // same argument checks and size cap as the file stores
      open('append');
      const log = logs.get(name) ?? [];
      for (const r of records) log.push(r.slice());
      logs.set(name, log);
    },
    async readLog(name) {
      assertName('name', name);
      open('readLog');
      return (logs.get(name) ?? []).map((r) => r.slice());
    },
    async rewriteLog(name, records) {
      assertName('name', name);
      encodeFrames(records);
      open('rewriteLog');
      logs.set(name, records.map((r) => r.slice()));
    },
    async deleteLog(name) {
      assertName('name', name);
      open('deleteLog');
      logs.delete(name);
    },
    async logs() {
      open('logs');
      return [...logs.keys()].sort();
    },
    async close() {
      closed = true;
    },
  };
}
