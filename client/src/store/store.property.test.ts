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
  it('matches the model after random operations and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const { open } = await opener();
        let store = await open();
        const kv = new Map<string, number[]>();
        const logs = new Map<string, number[][]>();
        for (const o of ops) {
          if (o.kind === 'put') {
            await store.put(o.key, o.value);
            kv.set(o.key, Array.from(o.value));
          } else if (o.kind === 'delete') {
            await store.delete(o.key);
            kv.delete(o.key);
          } else if (o.kind === 'append') {
            await store.append(o.key, o.records);
            logs.set(o.key, [...(logs.get(o.key) ?? []), ...o.records.map((r) => Array.from(r))]);
          } else if (o.kind === 'rewrite') {
            await store.rewriteLog(o.key, o.records);
            logs.set(o.key, o.records.map((r) => Array.from(r)));
          } else if (o.kind === 'deleteLog') {
            await store.deleteLog(o.key);
            logs.delete(o.key);
          } else {
            await store.close();
            store = await open();
          }
        }
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
