// One contract, three implementations: memory, Node files, and the wx file system
// manager (over a Node-backed fake of wx's API). Then what only files can show.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync, statSync, writeFileSync, appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isE2eeError } from '../../../crypto/src/errors';
import { createNodeBackedFsm } from '../../test/fake-fsm';
import { STORE_CLOSED, STORE_CORRUPT, STORE_IN_USE, STORE_IO } from './errors';
import { crc32, decodeFrames, encodeFrames } from './frame';
import { MAX_LOG_RECORD_BYTES } from './limits';
import { createMemoryBacking, createMemoryStore } from './memory-store';
import { fileToName, nameToFile } from './names';
import { openFsmStore } from './fsm-store';
import { openNodeStore } from './node-store';
import type { LocalStore } from './types';

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wxe2ee-store-'));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

const bytes = (...values: number[]) => new Uint8Array(values);

interface Impl {
  name: string;
  /** Opens a fresh store and returns a reopen function reaching the same data. */
  open(): Promise<{ store: LocalStore; reopen: () => Promise<LocalStore> }>;
}

const impls: Impl[] = [
  {
    name: 'memory',
    async open() {
      const backing = createMemoryBacking();
      return { store: createMemoryStore(backing), reopen: async () => createMemoryStore(backing) };
    },
  },
  {
    name: 'node-files',
    async open() {
      const dir = join(tempDir(), 'store');
      return { store: await openNodeStore(dir), reopen: () => openNodeStore(dir) };
    },
  },
  {
    name: 'wx-fsm',
    async open() {
      const dir = join(tempDir(), 'wx');
      const fsm = createNodeBackedFsm();
      return { store: await openFsmStore(fsm, dir), reopen: () => openFsmStore(fsm, dir) };
    },
  },
];

describe.each(impls)('LocalStore contract: $name', (impl) => {
  it('gets what was put, copies in and out, and survives a reopen', async () => {
    const { store, reopen } = await impl.open();
    const value = bytes(1, 2, 3);
    await store.put('identity', value);
    value[0] = 99; // the caller's later edits do not reach the store
    const got = await store.get('identity');
    expect(got).toEqual(bytes(1, 2, 3));
    got![1] = 42;
    expect(await store.get('identity')).toEqual(bytes(1, 2, 3));
    await store.put('identity', bytes(4));
    expect(await store.get('missing')).toBeUndefined();
    await store.close();
    const again = await reopen();
    expect(await again.get('identity')).toEqual(bytes(4));
    await again.close();
  });

  it('stores empty values and large values', async () => {
    const { store } = await impl.open();
    await store.put('empty', new Uint8Array(0));
    expect(await store.get('empty')).toEqual(new Uint8Array(0));
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7);
    await store.put('big', big);
    const got = (await store.get('big'))!;
    expect(got.length).toBe(big.length);
    expect(Buffer.compare(got, big)).toBe(0); // toEqual on megabytes is needlessly slow
    await store.close();
  });

  it('deletes keys (deleting a missing key is fine) and lists keys by prefix, sorted', async () => {
    const { store } = await impl.open();
    for (const k of ['chat/b', 'chat/a', 'Chat/A', 'prefs', '群/医院', 'a/../../etc']) await store.put(k, bytes(1));
    expect(await store.keys('chat/')).toEqual(['chat/a', 'chat/b']);
    expect(await store.keys('Chat/')).toEqual(['Chat/A']);
    expect(await store.keys('群')).toEqual(['群/医院']);
    expect((await store.keys('')).length).toBe(6);
    await store.delete('chat/a');
    await store.delete('never-there');
    expect(await store.keys('chat/')).toEqual(['chat/b']);
    expect(await store.get('a/../../etc')).toEqual(bytes(1));
    await store.close();
  });

  it('appends records in order across batches and reopens', async () => {
    const { store, reopen } = await impl.open();
    expect(await store.readLog('history')).toEqual([]);
    await store.append('history', [bytes(1), bytes(2, 2)]);
    await store.append('history', []);
    await store.append('history', [new Uint8Array(0), bytes(3)]);
    await store.append('other', [bytes(9)]);
    expect(await store.readLog('history')).toEqual([bytes(1), bytes(2, 2), new Uint8Array(0), bytes(3)]);
    expect(await store.logs()).toEqual(['history', 'other']);
    await store.close();
    const again = await reopen();
    await again.append('history', [bytes(4)]);
    expect((await again.readLog('history')).map((r) => Array.from(r))).toEqual([[1], [2, 2], [], [3], [4]]);
    await again.rewriteLog('history', [bytes(7)]);
    expect(await again.readLog('history')).toEqual([bytes(7)]);
    await again.append('history', [bytes(8)]);
    expect(await again.readLog('history')).toEqual([bytes(7), bytes(8)]);
    // A batch above the Node store's inline-write size goes through the asynchronous path.
    const large = [new Uint8Array(200 * 1024).fill(5), new Uint8Array(100 * 1024).fill(6)];
    await again.append('history', large);
    await again.append('history', [bytes(9)]);
    expect((await again.readLog('history')).map((r) => r.length)).toEqual([1, 1, 200 * 1024, 100 * 1024, 1]);
    expect((await again.readLog('history'))[3]!.every((b) => b === 6)).toBe(true);
    await again.deleteLog('history');
    await again.deleteLog('history');
    expect(await again.readLog('history')).toEqual([]);
    expect(await again.logs()).toEqual(['other']);
    await again.close();
  });

  it('keeps concurrent calls in call order', async () => {
    const { store } = await impl.open();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) pending.push(store.append('log', [bytes(i)]));
    pending.push(store.put('k', bytes(1)), store.put('k', bytes(2)));
    await Promise.all(pending);
    expect((await store.readLog('log')).map((r) => r[0])).toEqual([...Array(50).keys()]);
    expect(await store.get('k')).toEqual(bytes(2));
    await store.close();
  });

  it('rejects bad arguments with TypeError/RangeError naming them', async () => {
    const { store } = await impl.open();
    await expect(store.put('', bytes(1))).rejects.toThrow(RangeError);
    await expect(store.put('x'.repeat(201), bytes(1))).rejects.toThrow(/"key"/);
    await expect(store.get(7 as unknown as string)).rejects.toThrow(TypeError);
    await expect(store.put('k', [1, 2] as unknown as Uint8Array)).rejects.toThrow(/"value"/);
    await expect(store.append('log', [new Uint8Array(MAX_LOG_RECORD_BYTES + 1)])).rejects.toThrow(/records\[0\]/);
    await expect(store.append('log', ['x' as unknown as Uint8Array])).rejects.toThrow(TypeError);
    expect(await store.readLog('log')).toEqual([]);
    await store.close();
  });

  it('refuses every call after close with E2E_ERR_STORE_CLOSED', async () => {
    const { store } = await impl.open();
    await store.close();
    for (const p of [store.get('k'), store.put('k', bytes(1)), store.append('l', [bytes(1)]), store.readLog('l'), store.keys('')]) {
      await expect(p).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_CLOSED));
    }
  });
});

describe('framing', () => {
  it('crc32 matches the IEEE check value', () => {
    const check = new Uint8Array([...'123456789'].map((c) => c.charCodeAt(0)));
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('stops at a torn or damaged frame and reports the intact length', () => {
    const framed = encodeFrames([bytes(1, 2), bytes(3, 4, 5)]);
    expect(decodeFrames(framed).records.length).toBe(2);
    for (let cut = 0; cut < framed.length; cut++) {
      const { records, validLength } = decodeFrames(framed.subarray(0, cut));
      expect(records.length).toBe(cut >= 10 ? 1 : 0);
      expect(validLength).toBe(cut >= 10 ? 10 : 0);
    }
    const flipped = framed.slice();
    flipped[framed.length - 1]! ^= 1;
    expect(decodeFrames(flipped).records).toEqual([bytes(1, 2)]);
    const hugeLength = framed.slice();
    hugeLength[0] = 0xff;
    expect(decodeFrames(hugeLength).records).toEqual([]);
  });

  it('maps names to safe file names and back, injectively', () => {
    for (const n of ['a', 'A', 'chat/x', '..', '.hidden', '群聊', 'a_0041', '\u0000', 'x'.repeat(200)]) {
      const f = nameToFile(n);
      expect(f).toMatch(/^[a-z0-9_-]+$/);
      expect(fileToName(f)).toBe(n);
    }
    expect(nameToFile('A')).not.toBe(nameToFile('a'));
    expect(fileToName('.a.tmp-1')).toBeNull();
    expect(fileToName('_zz')).toBeNull();
  });
});

describe('Node store on disk', () => {
  it('creates a 0700 directory and 0600 files, and tightens loosened modes at open', async () => {
    const dir = join(tempDir(), 'modes');
    const store = await openNodeStore(dir);
    await store.put('secret', bytes(1));
    await store.append('history', [bytes(2)]);
    await store.close();
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'kv'))).toBe(0o700);
    expect(mode(join(dir, 'log'))).toBe(0o700);
    expect(mode(join(dir, 'kv', nameToFile('secret')))).toBe(0o600);
    expect(mode(join(dir, 'log', nameToFile('history')))).toBe(0o600);

    await fs.chmod(dir, 0o755);
    await fs.chmod(join(dir, 'kv', nameToFile('secret')), 0o644);
    const again = await openNodeStore(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'kv', nameToFile('secret')))).toBe(0o600);
    await again.close();
  });

  it('creates owner-only files even under a permissive umask', async () => {
    const old = process.umask(0o000);
    try {
      const dir = join(tempDir(), 'umask');
      const store = await openNodeStore(dir);
      await store.put('k', bytes(1));
      await store.append('l', [bytes(1)]);
      await store.close();
      expect(statSync(join(dir, 'kv', nameToFile('k'))).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'log', nameToFile('l'))).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('drops a torn log tail on read and cuts it before the next append', async () => {
    const dir = join(tempDir(), 'torn');
    const store = await openNodeStore(dir);
    await store.append('history', [bytes(1), bytes(2)]);
    await store.close();
    const path = join(dir, 'log', nameToFile('history'));
    const whole = encodeFrames([bytes(3, 3, 3)]);
    appendFileSync(path, whole.subarray(0, whole.length - 1)); // a crash mid-append
    const again = await openNodeStore(dir);
    expect(await again.readLog('history')).toEqual([bytes(1), bytes(2)]);
    await again.append('history', [bytes(4)]);
    expect(await again.readLog('history')).toEqual([bytes(1), bytes(2), bytes(4)]);
    await again.close();
  });

  it('keeps the old value when a write dies before its rename, and removes the leftover temp file at open', async () => {
    const dir = join(tempDir(), 'crash');
    const store = await openNodeStore(dir);
    await store.put('state', bytes(1, 1));
    await store.close();
    // What a crash between "write temp" and "rename" leaves behind: a partial temp file.
    const leftover = join(dir, 'kv', `.${nameToFile('state')}.tmp-999-0`);
    writeFileSync(leftover, encodeFrames([bytes(2, 2)]).subarray(0, 5), { mode: 0o600 });
    const again = await openNodeStore(dir);
    expect(await again.get('state')).toEqual(bytes(1, 1));
    expect(await again.keys('')).toEqual(['state']);
    expect(readdirSync(join(dir, 'kv'))).toEqual([nameToFile('state')]);
    await again.close();
  });

  it('reports a damaged value as E2E_ERR_STORE_CORRUPT rather than returning it', async () => {
    const dir = join(tempDir(), 'damaged');
    const store = await openNodeStore(dir);
    await store.put('state', bytes(1, 2, 3));
    const path = join(dir, 'kv', nameToFile('state'));
    const raw = new Uint8Array(await fs.readFile(path));
    raw[raw.length - 1]! ^= 0xff;
    writeFileSync(path, raw);
    await expect(store.get('state')).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_CORRUPT));
    await store.close();
  });

  it('ignores files it did not write when listing keys and logs', async () => {
    const dir = join(tempDir(), 'foreign');
    const store = await openNodeStore(dir);
    await store.put('k', bytes(1));
    writeFileSync(join(dir, 'kv', 'README.txt'), 'not ours');
    writeFileSync(join(dir, 'log', 'Notes'), 'not ours');
    expect(await store.keys('')).toEqual(['k']);
    expect(await store.logs()).toEqual([]);
    await store.close();
  });

  it('refuses a second open of one directory, in this process or another live one, and takes over a stale lock', async () => {
    const dir = join(tempDir(), 'locked');
    const store = await openNodeStore(dir);
    await expect(openNodeStore(dir)).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_IN_USE));
    await expect(openNodeStore(join(dir, '.', '..', 'locked'))).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_IN_USE));
    await store.close();
    expect(readdirSync(dir)).not.toContain('lock');

    writeFileSync(join(dir, 'lock'), String(process.ppid), { mode: 0o600 }); // a live process that is not us
    await expect(openNodeStore(dir)).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_IN_USE));

    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its lock is stale
    writeFileSync(join(dir, 'lock'), String(dead), { mode: 0o600 });
    const again = await openNodeStore(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(String(process.pid));
    await again.close();
  });

  it('concurrent opens of one directory in one process: exactly one wins', async () => {
    const dir = join(tempDir(), 'race');
    const results = await Promise.allSettled([openNodeStore(dir), openNodeStore(dir), openNodeStore(dir)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won.length).toBe(1);
    await (won[0] as PromiseFulfilledResult<LocalStore>).value.close();
  });

  it('refuses a store path that is a file', async () => {
    const file = join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    await expect(openNodeStore(file)).rejects.toSatisfy((e: unknown) => isE2eeError(e));
  });
});

describe('file-system-manager store specifics', () => {
  it('cuts a torn tail by rewriting the intact prefix (wx has no truncate)', async () => {
    const dir = join(tempDir(), 'wx-torn');
    const fsm = createNodeBackedFsm();
    const store = await openFsmStore(fsm, dir);
    await store.append('history', [bytes(1)]);
    await store.close();
    appendFileSync(join(dir, 'log', nameToFile('history')), bytes(0, 0, 0, 9, 1));
    const again = await openFsmStore(fsm, dir);
    expect(await again.readLog('history')).toEqual([bytes(1)]);
    await again.append('history', [bytes(2)]);
    expect(await again.readLog('history')).toEqual([bytes(1), bytes(2)]);
    await again.close();
  });

  it('a failed write surfaces as E2E_ERR_STORE_IO and leaves the old value', async () => {
    const dir = join(tempDir(), 'wx-fail');
    let failRename = false;
    const fsm = createNodeBackedFsm({
      beforeWrite: (api) => {
        if (failRename && api === 'rename') throw Object.assign(new Error('full'), { code: 'ENOSPC' });
      },
    });
    const store = await openFsmStore(fsm, dir);
    await store.put('state', bytes(1));
    failRename = true;
    await expect(store.put('state', bytes(2))).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_IO));
    failRename = false;
    expect(await store.get('state')).toEqual(bytes(1));
    await store.close();
    const again = await openFsmStore(fsm, dir);
    expect(readdirSync(join(dir, 'kv'))).toEqual([nameToFile('state')]);
    await again.close();
  });

  it('a slow write of one key holds up only that key; listings and close wait for it', async () => {
    const dir = join(tempDir(), 'wx-slow');
    let releaseSlow: () => void = () => undefined;
    const slowDisk = new Promise<void>((resolve) => (releaseSlow = resolve));
    const fsm = createNodeBackedFsm({
      // The temp file of a put to 'cursor' waits for the disk; everything else is quick.
      beforeWrite: (api, path) => (api === 'writeFile' && path.includes(`.${nameToFile('cursor')}.tmp-`) ? slowDisk : undefined),
    });
    const store = await openFsmStore(fsm, dir);
    const done: string[] = [];
    const track = <T>(label: string, p: Promise<T>) => p.then((v) => (done.push(label), v));
    const slowPut = track('put cursor 1', store.put('cursor', bytes(1)));
    const nextPut = track('put cursor 2', store.put('cursor', bytes(2)));
    // Another key and a log go ahead while the cursor's write is held.
    await store.append('history', [bytes(7)]);
    await store.put('other', bytes(3));
    expect(await store.readLog('history')).toEqual([bytes(7)]);
    const listing = track('keys', store.keys(''));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toEqual([]);
    releaseSlow();
    expect(await listing).toEqual(['cursor', 'other']);
    await Promise.all([slowPut, nextPut]);
    // One key's writes land in call order, and the listing came after both.
    expect(done).toEqual(['put cursor 1', 'put cursor 2', 'keys']);
    expect(await store.get('cursor')).toEqual(bytes(2));
    await store.close();
  });

  it('only calls the documented subset of the manager', async () => {
    const fsm = createNodeBackedFsm();
    const store = await openFsmStore(fsm, join(tempDir(), 'wx-calls'));
    await store.put('a', bytes(1));
    await store.get('a');
    await store.append('l', [bytes(1)]);
    await store.readLog('l');
    await store.keys('');
    await store.delete('a');
    await store.close();
    const allowed = new Set(['readFile', 'writeFile', 'appendFile', 'rename', 'unlink', 'mkdir', 'stat', 'readdir']);
    expect(fsm.calls.every((c) => allowed.has(c))).toBe(true);
    expect(new Set(fsm.calls).size).toBeGreaterThan(5);
  });
});
