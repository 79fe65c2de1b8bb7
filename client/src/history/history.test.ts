import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isE2eeError } from '../../../crypto/src/errors';
import { createNodeBackedFsm } from '../../test/fake-fsm';
import { STORE_CLOSED, STORE_CORRUPT } from '../store/errors';
import { openFsmStore } from '../store/fsm-store';
import { createMemoryBacking, createMemoryStore } from '../store/memory-store';
import { openNodeStore } from '../store/node-store';
import { INDEX_KEY, MANIFEST_KEY, openHistory, type History } from './history-store';
import type { LocalStore } from '../store/types';
import type { StoredMessage } from './types';

const roots: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'wxe2ee-history-'));
  roots.push(d);
  return d;
};
afterAll(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

let counter = 0;
function msg(groupId: string, seq: number, text: string, extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    groupId,
    messageId: `m${counter++}`,
    sender: 'alice',
    seq,
    timestamp: T0 + seq * 60_000,
    type: 'text',
    text,
    mentions: [],
    mentionAll: false,
    ...extra,
  };
}

const texts = (r: { messages: StoredMessage[] }) => r.messages.map((m) => m.text);

/** A small clinic group and a work group with Chinese, Latin and mixed text. */
function corpus(): StoredMessage[] {
  return [
    msg('clinic', 1, '明天去医院复查'),
    msg('clinic', 2, '医生说没事，放心', { sender: 'bob' }),
    msg('clinic', 3, '院子里的花开了', { sender: 'carol' }),
    msg('clinic', 4, '去医务室拿药，医院今天关门', { sender: 'bob' }),
    msg('clinic', 5, '[图片]', { type: 'image', sender: 'carol', attachment: { name: '化验单.jpg', size: 1000 } }),
    msg('work', 1, 'Meeting at 3pm in room 402'),
    msg('work', 2, '明天的MEETING改到下午', { sender: 'bob' }),
    msg('work', 3, 'ｍｅｅｔｉｎｇ notes 已发', { sender: 'dave' }),
    msg('work', 4, 'greeting card for 医院 staff', { sender: 'dave', timestamp: T0 + 10 * DAY }),
    msg('work', 5, '投票：周五聚餐去哪', { type: 'poll', sender: 'alice' }),
  ];
}

async function filled(): Promise<History> {
  const h = await openHistory(createMemoryStore());
  await h.add(corpus());
  return h;
}

describe('keyword search', () => {
  it('finds a 2-character Chinese word and not its characters apart', async () => {
    const h = await filled();
    expect(texts(h.search({ text: '医院' })).sort()).toEqual(['greeting card for 医院 staff', '去医务室拿药，医院今天关门', '明天去医院复查'].sort());
  });

  it('finds single characters by unigram', async () => {
    const h = await filled();
    expect(h.search({ text: '医' }).total).toBe(4);
    expect(h.search({ text: '花' }).messages.map((m) => m.seq)).toEqual([3]);
    expect(h.search({ text: '鲸' }).total).toBe(0);
  });

  it('verifies 3+ character words: bigrams present apart are not a match', async () => {
    const h = await filled();
    // "去医务室...医院" holds the bigrams 去医 and 医院 but not 去医院.
    expect(texts(h.search({ text: '去医院' }))).toEqual(['明天去医院复查']);
  });

  it('matches Latin words by case-folded prefix, not infix', async () => {
    const h = await filled();
    expect(h.search({ text: 'meet' }).total).toBe(3);
    expect(h.search({ text: 'MEETING' }).total).toBe(3);
    expect(h.search({ text: 'ｍｅｅｔ' }).total).toBe(3); // full-width query folds too
    expect(h.search({ text: 'eting' }).total).toBe(0);
    expect(texts(h.search({ text: 'greet' }))).toEqual(['greeting card for 医院 staff']);
    expect(h.search({ text: '40' }).total).toBe(1);
  });

  it('ANDs the pieces of mixed queries, spaced or not', async () => {
    const h = await filled();
    expect(texts(h.search({ text: '明天 meeting' }))).toEqual(['明天的MEETING改到下午']);
    expect(texts(h.search({ text: '明天meeting' }))).toEqual(['明天的MEETING改到下午']);
    expect(texts(h.search({ text: '医院 card' }))).toEqual(['greeting card for 医院 staff']);
    expect(h.search({ text: '医院 meeting' }).total).toBe(0);
  });

  it('searches attachment file names', async () => {
    const h = await filled();
    expect(h.search({ text: '化验单' }).messages.map((m) => m.type)).toEqual(['image']);
    expect(h.search({ text: 'jpg' }).total).toBe(1);
  });

  it('searches one group or all groups, newest first', async () => {
    const h = await filled();
    expect(h.search({ text: '明天' }).messages.map((m) => `${m.groupId}:${m.seq}`)).toEqual(['work:2', 'clinic:1']);
    expect(h.search({ text: '明天', groupId: 'clinic' }).messages.map((m) => m.seq)).toEqual([1]);
    expect(h.search({ text: '明天', groupId: 'nowhere' }).total).toBe(0);
  });

  it('returns nothing for a query with nothing searchable, and lists all for an empty query', async () => {
    const h = await filled();
    expect(h.search({ text: '，！😀' })).toEqual({ messages: [], total: 0 });
    expect(h.search({ text: '' }).total).toBe(10);
    // Newest first by timestamp: work:4 is dated ten days later than the rest.
    expect(h.search({ groupId: 'work', limit: 2 }).messages.map((m) => m.seq)).toEqual([4, 5]);
  });
});

describe('filters', () => {
  it('filters by member (speaking record), by type and by date range', async () => {
    const h = await filled();
    const bob = h.search({ filter: { senders: ['bob'] } });
    expect(bob.messages.every((m) => m.sender === 'bob')).toBe(true);
    expect(bob.total).toBe(3);
    expect(h.search({ text: '医', filter: { senders: ['bob'] } }).total).toBe(2);
    expect(h.search({ filter: { types: ['image', 'poll'] } }).messages.map((m) => m.type).sort()).toEqual(['image', 'poll']);
    const late = h.search({ filter: { since: T0 + DAY } });
    expect(texts(late)).toEqual(['greeting card for 医院 staff']);
    expect(h.search({ text: '医院', filter: { until: T0 + DAY } }).total).toBe(2);
    const window = h.search({ filter: { since: T0 + 3 * 60_000, until: T0 + 4 * 60_000 } });
    expect(window.messages.map((m) => `${m.groupId}:${m.seq}`).sort()).toEqual(['clinic:3', 'work:3']);
    expect(h.page('clinic', { filter: { senders: ['carol'] } }).messages.map((m) => m.seq)).toEqual([3, 5]);
  });

  it('hides blocked members everywhere unless asked, and persists the block', async () => {
    const backing = createMemoryBacking();
    const h = await openHistory(createMemoryStore(backing));
    await h.add(corpus());
    await h.setBlocked('bob', true);
    expect(h.search({ text: '医' }).total).toBe(2);
    expect(h.search({ text: '医', filter: { includeBlocked: true } }).total).toBe(4);
    expect(h.page('clinic').messages.some((m) => m.sender === 'bob')).toBe(false);
    expect(h.unreadCounts('clinic', 0, 'alice').unread).toBe(2);
    await h.close();
    const again = await openHistory(createMemoryStore(backing));
    expect(again.isBlocked('bob')).toBe(true);
    expect(again.search({ text: '医' }).total).toBe(2);
    await again.setBlocked('bob', false);
    expect(again.search({ text: '医' }).total).toBe(4);
  });
});

describe('paging', () => {
  async function long(): Promise<History> {
    const h = await openHistory(createMemoryStore());
    const batch: StoredMessage[] = [];
    for (let seq = 1; seq <= 50; seq++) batch.push(msg('g', seq, `第${seq}条 message ${seq}`, { sender: seq % 2 ? 'odd' : 'even' }));
    // Arrives out of order: the page order is by sequence regardless.
    await h.add(batch.slice(25));
    await h.add(batch.slice(0, 25));
    return h;
  }

  it('pages by sequence in both directions', async () => {
    const h = await long();
    const latest = h.page('g', { limit: 10 });
    expect(latest.messages.map((m) => m.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    expect(latest.hasMore).toBe(true);
    const older = h.page('g', { before: 41, limit: 10 });
    expect(older.messages.map((m) => m.seq)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    const first = h.page('g', { before: 4, limit: 10 });
    expect(first.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(first.hasMore).toBe(false);
    const newer = h.page('g', { after: 45, limit: 3 });
    expect(newer.messages.map((m) => m.seq)).toEqual([46, 47, 48]);
    expect(newer.hasMore).toBe(true);
    expect(h.page('g', { after: 48, limit: 3 })).toMatchObject({ hasMore: false });
    expect(h.page('g', { after: 50 }).messages).toEqual([]);
    expect(h.page('other').messages).toEqual([]);
    expect(h.page('g', { before: 10, limit: 3, filter: { senders: ['even'] } }).messages.map((m) => m.seq)).toEqual([4, 6, 8]);
  });

  it('walks every search result once, newest first, through cursors', async () => {
    const h = await long();
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = h.search({ text: 'message', limit: 7, ...(cursor ? { cursor } : {}) });
      expect(r.total).toBe(50);
      seen.push(...r.messages.map((m) => m.seq));
      cursor = r.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(8);
    expect(seen).toEqual([...Array(50).keys()].map((i) => 50 - i));
  });

  it('orders equal timestamps deterministically across pages', async () => {
    const h = await openHistory(createMemoryStore());
    await h.add([...Array(9).keys()].map((i) => msg('g', i + 1, '同时', { timestamp: T0 })));
    const a = h.search({ text: '同时', limit: 4 });
    const b = h.search({ text: '同时', limit: 4, cursor: a.nextCursor! });
    const c = h.search({ text: '同时', limit: 4, cursor: b.nextCursor! });
    const all = [...a.messages, ...b.messages, ...c.messages].map((m) => m.seq);
    expect(new Set(all).size).toBe(9);
    expect(c.nextCursor).toBeUndefined();
  });
});

describe('writes', () => {
  it('ignores duplicates (at-least-once delivery) within and across batches', async () => {
    const h = await openHistory(createMemoryStore());
    const m = msg('g', 1, '你好');
    expect(await h.add([m, { ...m }])).toEqual({ added: 1, duplicates: 1 });
    expect(await h.add([{ ...m, text: '改过的' }])).toEqual({ added: 0, duplicates: 1 });
    expect(h.get('g', m.messageId)?.text).toBe('你好');
    expect(h.search({ text: '改过' }).total).toBe(0);
  });

  it('recall removes a message from search, pages, counts and get; a recall that comes first wins', async () => {
    const h = await filled();
    const target = h.search({ text: '去医院' }).messages[0]!;
    expect(await h.recall(target.groupId, target.messageId)).toBe(true);
    expect(await h.recall(target.groupId, target.messageId)).toBe(false);
    expect(h.search({ text: '去医院' }).total).toBe(0);
    expect(h.search({ text: '医院' }).total).toBe(2);
    expect(h.get(target.groupId, target.messageId)).toBeUndefined();
    expect(h.page('clinic').messages.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    expect(await h.recall('clinic', 'late-message')).toBe(false);
    expect(await h.add([{ ...msg('clinic', 9, '迟到的消息'), messageId: 'late-message' }])).toEqual({ added: 0, duplicates: 1 });
    expect(h.search({ text: '迟到' }).total).toBe(0);
  });

  it('rejects bad input with TypeError/RangeError naming the field, storing nothing', async () => {
    const h = await openHistory(createMemoryStore());
    await expect(h.add([{ ...msg('g', 1, 'x'), type: 'sticker' as never }])).rejects.toThrow(/messages\[0\]\.type/);
    await expect(h.add([{ ...msg('g', 1, 'x'), seq: -1 }])).rejects.toThrow(RangeError);
    await expect(h.add([{ ...msg('g', 1, 'x'), groupId: '' }])).rejects.toThrow(/groupId/);
    await expect(h.add([msg('g', 1, 'ok'), { ...msg('g', 2, 'x'), mentions: [5 as never] }])).rejects.toThrow(/mentions\[0\]/);
    await expect(h.add([{ ...msg('g', 1, 'x'), text: 'x'.repeat(70_000) }])).rejects.toThrow(RangeError);
    await expect(h.add('nope' as never)).rejects.toThrow(TypeError);
    expect(h.stats().messages).toBe(0);
    expect(() => h.search({ text: 'x', limit: 0 })).toThrow(RangeError);
    expect(() => h.search({ text: 'x'.repeat(300) })).toThrow(RangeError);
    expect(() => h.search({ text: 'x', cursor: '../etc' })).toThrow(/cursor/);
    expect(() => h.search({ filter: { types: ['sticker' as never] } })).toThrow(/types/);
    expect(() => h.page('g', { before: 1, after: 2 })).toThrow(RangeError);
  });

  it('refuses use after close', async () => {
    const h = await openHistory(createMemoryStore());
    await h.close();
    expect(() => h.search({ text: 'x' })).toThrow(expect.objectContaining({ code: STORE_CLOSED }));
    await expect(h.add([msg('g', 1, 'x')])).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_CLOSED));
  });
});

describe('cold start', () => {
  const queries = ['医院', '医', '去医院', 'meet', '明天 meeting', 'greet', '化验单'];
  const answer = (h: History) => queries.map((q) => h.search({ text: q }).messages.map((m) => m.messageId));

  it('Node store: write, close, reopen in a fresh instance, query the persisted index', async () => {
    const dir = join(tempDir(), 'node');
    const store = await openNodeStore(dir);
    const h = await openHistory(store);
    await h.add(corpus());
    const before = answer(h);
    await h.close();
    await store.close();

    const store2 = await openNodeStore(dir);
    const h2 = await openHistory(store2);
    expect(h2.stats()).toMatchObject({ loadedSnapshot: true, unsnapshotted: 0, messages: 10 });
    expect(answer(h2)).toEqual(before);
    expect(before[0]!.length).toBe(3);
    expect(h2.page('clinic').messages.length).toBe(5);
    await store2.close();
  });

  it('without a clean close (crash), rebuilds the index from the log with the same answers', async () => {
    const backing = createMemoryBacking();
    const h = await openHistory(createMemoryStore(backing));
    await h.add(corpus());
    const before = answer(h);
    const h2 = await openHistory(createMemoryStore(backing)); // h never closed: no snapshot
    expect(h2.stats().loadedSnapshot).toBe(false);
    expect(answer(h2)).toEqual(before);
  });

  it('snapshot plus later records: base from the snapshot, delta replayed, recalls honoured', async () => {
    const backing = createMemoryBacking();
    const h = await openHistory(createMemoryStore(backing));
    await h.add(corpus().slice(0, 5));
    await h.checkpoint();
    const rest = corpus().slice(5);
    await h.add(rest);
    const gone = h.search({ text: '去医院' }).messages[0]!;
    await h.recall(gone.groupId, gone.messageId);
    const before = answer(h);
    const h2 = await openHistory(createMemoryStore(backing));
    expect(h2.stats()).toMatchObject({ loadedSnapshot: true, unsnapshotted: rest.length, recalled: 1 });
    expect(answer(h2)).toEqual(before);
    expect(h2.search({ text: '去医院' }).total).toBe(0);
  });

  it('a manifest or blocked list that does not decode is E2E_ERR_STORE_CORRUPT, not a SyntaxError', async () => {
    for (const key of [MANIFEST_KEY, 'history/blocked']) {
      const backing = createMemoryBacking();
      backing.values.set(key, new TextEncoder().encode('{not json'));
      await expect(openHistory(createMemoryStore(backing))).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_CORRUPT));
    }
  });

  it('a damaged or foreign snapshot is ignored and the index rebuilt', async () => {
    const backing = createMemoryBacking();
    const store = createMemoryStore(backing);
    const h = await openHistory(store);
    await h.add(corpus());
    const before = answer(h);
    await h.close();
    const snap = backing.values.get(INDEX_KEY)!;
    for (const damage of [snap.slice(0, snap.length - 3), new Uint8Array([...snap.slice(0, 20), 0xff, ...snap.slice(21)]), new Uint8Array(0)]) {
      backing.values.set(INDEX_KEY, damage);
      const h2 = await openHistory(createMemoryStore(backing));
      expect(answer(h2)).toEqual(before);
    }
  });

  it('auto-checkpoints after checkpointEvery messages', async () => {
    const backing = createMemoryBacking();
    const h = await openHistory(createMemoryStore(backing), { checkpointEvery: 4 });
    await h.add(corpus().slice(0, 3));
    expect(backing.values.has(INDEX_KEY)).toBe(false);
    await h.add(corpus().slice(3, 6));
    expect(backing.values.has(INDEX_KEY)).toBe(true);
    expect(h.stats().unsnapshotted).toBe(0);
  });

  it('wx file-system-manager store: same cold-start behaviour', async () => {
    const dir = join(tempDir(), 'wx');
    const fsm = createNodeBackedFsm();
    const h = await openHistory(await openFsmStore(fsm, dir));
    await h.add(corpus());
    const before = answer(h);
    await h.close();
    const h2 = await openHistory(await openFsmStore(fsm, dir));
    expect(h2.stats().loadedSnapshot).toBe(true);
    expect(answer(h2)).toEqual(before);
  });
});

describe('compaction', () => {
  it('removes recalled text from the files on disk and keeps everything else', async () => {
    const dir = join(tempDir(), 'compact');
    const store = await openNodeStore(dir);
    const h = await openHistory(store);
    const secret = '这条消息要撤回ZX81';
    await h.add([...corpus(), msg('clinic', 20, secret)]);
    const target = h.search({ text: 'zx81' }).messages[0]!;
    await h.recall(target.groupId, target.messageId);
    const before = h.search({ text: '医' }).messages.map((m) => m.messageId);
    const onDisk = () =>
      ['kv', 'log'].some((d) => readdirSync(join(dir, d)).some((f) => readFileSync(join(dir, d, f)).includes(Buffer.from('要撤回'))));
    expect(onDisk()).toBe(true);
    await h.compact();
    expect(onDisk()).toBe(false);
    expect(h.search({ text: '医' }).messages.map((m) => m.messageId)).toEqual(before);
    await h.close();
    await store.close();
    const store2 = await openNodeStore(dir);
    const h2 = await openHistory(store2);
    expect(h2.stats()).toMatchObject({ loadedSnapshot: true, recalled: 0, messages: 10 });
    expect(h2.search({ text: '医' }).messages.map((m) => m.messageId)).toEqual(before);
    // The recall still blocks a redelivery after compaction.
    expect(await h2.add([target])).toEqual({ added: 0, duplicates: 1 });
    expect(await store2.logs()).toEqual(['history-2']);
    await store2.close();
  });
});

describe('failures while writing', () => {
  /** A memory store whose put() of one key fails while `failing` is set (a full disk, say). */
  function flakyStore(backing = createMemoryBacking()) {
    const inner = createMemoryStore(backing);
    const ctl = { failing: new Set<string>(), backing };
    const store: LocalStore = {
      ...inner,
      put: async (key, value) => {
        if (ctl.failing.has(key)) throw new Error('disk full');
        return inner.put(key, value);
      },
    };
    return { store, ctl };
  }

  it('the delta lists merge into the compact base in memory at 512 messages, without a snapshot write, and answer the same', async () => {
    const { store, ctl } = flakyStore();
    const h = await openHistory(store, { mergeDeltaAt: 512 }); // the default is drawn from 512..767
    ctl.failing.add(INDEX_KEY); // a merge that wrote a snapshot would fail here, and leave the delta whole
    const many = Array.from({ length: 700 }, (_, i) => msg('big', i + 1, i % 2 ? `第${i}条 医院 note${i}` : `第${i}条 花园 note${i}`));
    for (const m of many) await h.add([m]);
    // Merged at message 512 (delta 512 >= max(512, base / 4)); 188 indexed since.
    expect(h.stats()).toMatchObject({ messages: 700, unsnapshotted: 700, deltaMessages: 188 });
    await h.recall('big', many[3]!.messageId); // in the merged base
    await h.recall('big', many[601]!.messageId); // in the delta
    expect(h.search({ text: '医院', limit: 500 }).total).toBe(348);
    expect(h.search({ text: '花园', limit: 500 }).total).toBe(350);
    expect(h.search({ text: 'note3' }).messages.map((m) => m.text)).not.toContain(many[3]!.text);
    expect(h.search({ text: 'note600' }).messages.map((m) => m.text)).toEqual([many[600]!.text]);
    // The log alone rebuilds the same answers: nothing on disk depended on the merge.
    const h2 = await openHistory(createMemoryStore(ctl.backing));
    expect(h2.stats()).toMatchObject({ loadedSnapshot: false, messages: 698 });
    expect(h2.search({ text: '医院', limit: 500 }).total).toBe(348);
    expect(h2.search({ text: '花园', limit: 500 }).total).toBe(350);
  });

  it('a failed automatic checkpoint does not fail the add, and is retried later', async () => {
    const { store, ctl } = flakyStore();
    const h = await openHistory(store, { checkpointEvery: 2 });
    ctl.failing.add(INDEX_KEY);
    expect(await h.add(corpus().slice(0, 4))).toEqual({ added: 4, duplicates: 0 });
    expect(h.search({ text: '医院' }).total).toBe(2);
    expect(h.stats().unsnapshotted).toBe(4);
    ctl.failing.clear();
    await h.add(corpus().slice(4, 6));
    expect(h.stats().unsnapshotted).toBe(0);
    const h2 = await openHistory(createMemoryStore(ctl.backing));
    expect(h2.stats()).toMatchObject({ loadedSnapshot: true, messages: 6 });
  });

  it('a compaction interrupted before its manifest leaves the old state, with the same answers after reopen', async () => {
    const { store, ctl } = flakyStore();
    const h = await openHistory(store);
    await h.add(corpus());
    const gone = h.search({ text: '去医院' }).messages[0]!;
    await h.recall(gone.groupId, gone.messageId);
    const before = h.search({ text: '医' }).messages.map((m) => m.messageId);
    ctl.failing.add(MANIFEST_KEY);
    await expect(h.compact()).rejects.toThrow('disk full');
    expect(h.search({ text: '医' }).messages.map((m) => m.messageId)).toEqual(before);
    const h2 = await openHistory(createMemoryStore(ctl.backing));
    expect(h2.search({ text: '医' }).messages.map((m) => m.messageId)).toEqual(before);
    expect(h2.get(gone.groupId, gone.messageId)).toBeUndefined();
    expect([...ctl.backing.logs.keys()]).toEqual(['history-1']); // the orphaned new log was removed at open
    // The interrupted compaction left a snapshot of its new log; closing the old state rewrites it.
    expect(h2.stats().loadedSnapshot).toBe(false);
    ctl.failing.clear();
    await h.close();
    const h3 = await openHistory(createMemoryStore(ctl.backing));
    expect(h3.stats().loadedSnapshot).toBe(true);
    expect(h3.search({ text: '医' }).messages.map((m) => m.messageId)).toEqual(before);
  });
});

describe('unread counts', () => {
  it('counts messages after the last read sequence, not from self, with mentions of self or @all', async () => {
    const h = await openHistory(createMemoryStore());
    await h.add([
      msg('g', 1, 'a', { sender: 'bob' }),
      msg('g', 2, 'b', { sender: 'me' }),
      msg('g', 3, 'c', { sender: 'bob', mentions: ['me'] }),
      msg('g', 4, 'd', { sender: 'carol', mentionAll: true }),
      msg('g', 5, 'e', { sender: 'carol', mentions: ['bob'] }),
    ]);
    expect(h.unreadCounts('g', 0, 'me')).toEqual({ unread: 4, mentions: 2 });
    expect(h.unreadCounts('g', 3, 'me')).toEqual({ unread: 2, mentions: 1 });
    expect(h.unreadCounts('g', 5, 'me')).toEqual({ unread: 0, mentions: 0 });
    expect(h.latest('g')?.seq).toBe(5);
  });

  it('stay equal to a recount from scratch through appends, late inserts, recalls, blocking and compaction', async () => {
    type Op =
      | { kind: 'add'; seq: number; sender: number; mention: number }
      | { kind: 'recall'; pick: number }
      | { kind: 'block'; member: number; on: boolean }
      | { kind: 'compact' }
      | { kind: 'count'; lastRead: number };
    const senders = ['me', 'bob', 'carol'];
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), seq: fc.integer({ min: 1, max: 12 }), sender: fc.nat(2), mention: fc.nat(2) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('recall' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), member: fc.nat(2), on: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
      // A reader's last read position mostly stays put while messages arrive (-1: as before).
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('count' as const), lastRead: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, fc.integer({ min: 0, max: 12 })) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const h = await openHistory(createMemoryStore());
        // Another chat's messages keep recalls below the compaction threshold (a quarter of all
        // messages), so that a recall changes the group in place; 'compact' compacts on purpose.
        await h.add(Array.from({ length: 100 }, (_, i) => msg('other', i + 1, 'y')));
        const live: StoredMessage[] = [];
        const blocked = new Set<string>();
        let lastRead = 0;
        for (const o of ops) {
          if (o.kind === 'add') {
            const m = msg('g', o.seq, 'x', { sender: senders[o.sender]!, mentions: o.mention === 1 ? ['me'] : [], mentionAll: o.mention === 2 });
            await h.add([m]);
            live.push(m);
          } else if (o.kind === 'recall' && live.length > 0) {
            const [gone] = live.splice(o.pick % live.length, 1);
            expect(await h.recall('g', gone!.messageId)).toBe(true);
          } else if (o.kind === 'block') {
            await h.setBlocked(senders[o.member]!, o.on);
            if (o.on) blocked.add(senders[o.member]!);
            else blocked.delete(senders[o.member]!);
          } else if (o.kind === 'compact') {
            await h.compact();
          } else if (o.kind === 'count') {
            if (o.lastRead >= 0) lastRead = o.lastRead;
            const unread = live.filter((m) => m.seq > lastRead && m.sender !== 'me' && !blocked.has(m.sender));
            const expected = { unread: unread.length, mentions: unread.filter((m) => m.mentionAll || m.mentions.includes('me')).length };
            // Twice: the second answer comes from the kept count.
            expect(h.unreadCounts('g', lastRead, 'me')).toEqual(expected);
            expect(h.unreadCounts('g', lastRead, 'me')).toEqual(expected);
          }
        }
        await h.close();
      }),
      {
        numRuns: 300,
        // Each invalidation once for sure: an append at or below the read position, a late
        // insert, a recall (with the other chat, below the compaction threshold).
        examples: [
          [[{ kind: 'add', seq: 1, sender: 1, mention: 0 }, { kind: 'count', lastRead: 5 }, { kind: 'add', seq: 3, sender: 1, mention: 0 }, { kind: 'count', lastRead: -1 }]],
          [[{ kind: 'add', seq: 5, sender: 1, mention: 1 }, { kind: 'count', lastRead: 0 }, { kind: 'add', seq: 3, sender: 2, mention: 2 }, { kind: 'count', lastRead: -1 }]],
          [[{ kind: 'add', seq: 1, sender: 1, mention: 0 }, { kind: 'add', seq: 2, sender: 1, mention: 1 }, { kind: 'count', lastRead: 0 }, { kind: 'recall', pick: 1 }, { kind: 'count', lastRead: -1 }]],
        ],
      },
    );
  });
});
