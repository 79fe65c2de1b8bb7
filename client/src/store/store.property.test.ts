// Property: any sequence of store operations, with reopens in between, leaves every
// implementation in the state a plain model predicts.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackedFsm } from '../../test/fake-fsm';
import { openFsmStore } from './fsm-store';
import { createMemoryBacking, createMemoryStore } from './memory-store';
import { openNodeStore } from './node-store';
import type { LocalStore } from './types';

const root = mkdtempSync(join(tmpdir(), 'wxe2ee-store-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const name = fc.constantFrom('a', 'B', 'chat/1', '群', 'x.y');
const value = fc.uint8Array({ maxLength: 40 });
const op = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: name, value }),
  fc.record({ kind: fc.constant('delete' as const), key: name }),
  fc.record({ kind: fc.constant('append' as const), key: name, records: fc.array(value, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('rewrite' as const), key: name, records: fc.array(value, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('deleteLog' as const), key: name }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

type Opener = () => Promise<{ open: () => Promise<LocalStore> }>;
const impls: [string, Opener][] = [
  ['memory', async () => {
    const backing = createMemoryBacking();
    return { open: async () => createMemoryStore(backing) };
  }],
  ['node-files', async () => {
    const dir = join(root, `n${dirs++}`);
    return { open: () => openNodeStore(dir, { fsync: false }) };
  }],
  ['wx-fsm', async () => {
    const dir = join(root, `w${dirs++}`);
    const fsm = createNodeBackedFsm();
    return { open: () => openFsmStore(fsm, dir) };
  }],
];

describe.each(impls)('store model check: %s', (_, opener) => {
  // Sequential: each operation awaited before the next. Concurrent: every operation between
  // two reopens is called at once and awaited together; a store orders the operations on
  // one key or log in call order (and a close after all of them), so the model is the same.
  it.each([['sequential', false], ['called at once', true]])('matches the model after random operations and reopens (%s)', async (_mode, concurrent) => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const { open } = await opener();
        let store = await open();
        const kv = new Map<string, number[]>();
        const logs = new Map<string, number[][]>();
        let inFlight: Promise<unknown>[] = [];
        const call = async (p: Promise<unknown>) => {
          if (concurrent) inFlight.push(p);
          else await p;
        };
        for (const o of ops) {
          if (o.kind === 'put') {
            await call(store.put(o.key, o.value));
            kv.set(o.key, Array.from(o.value));
          } else if (o.kind === 'delete') {
            await call(store.delete(o.key));
            kv.delete(o.key);
          } else if (o.kind === 'append') {
            await call(store.append(o.key, o.records));
            logs.set(o.key, [...(logs.get(o.key) ?? []), ...o.records.map((r) => Array.from(r))]);
          } else if (o.kind === 'rewrite') {
            await call(store.rewriteLog(o.key, o.records));
            logs.set(o.key, o.records.map((r) => Array.from(r)));
          } else if (o.kind === 'deleteLog') {
            await call(store.deleteLog(o.key));
            logs.delete(o.key);
          } else {
            await store.close();
            await Promise.all(inFlight);
            inFlight = [];
            store = await open();
          }
        }
        await Promise.all(inFlight);
        expect(await store.keys('')).toEqual([...kv.keys()].sort());
        for (const [k, v] of kv) expect(Array.from((await store.get(k))!)).toEqual(v);
        expect(await store.logs()).toEqual([...logs.keys()].sort());
        for (const [k, v] of logs) expect((await store.readLog(k)).map((r) => Array.from(r))).toEqual(v);
        await store.close();
      }),
      { numRuns: 25 },
    );
  });
});
