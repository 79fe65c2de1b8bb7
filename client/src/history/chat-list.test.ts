import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../../../crypto/src/errors';
import { STORE_CORRUPT } from '../store/errors';
import { createMemoryBacking, createMemoryStore } from '../store/memory-store';
import { encodeUtf8 } from './utf8';
import { CHAT_KEY_PREFIX, openChatList } from './chat-list';
import { openHistory } from './history-store';
import type { StoredMessage } from './types';

let n = 0;
const msg = (groupId: string, seq: number, timestamp: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  groupId,
  messageId: `m${n++}`,
  sender: 'bob',
  seq,
  timestamp,
  type: 'text',
  text: `消息${seq}`,
  mentions: [],
  mentionAll: false,
  ...extra,
});

async function setup() {
  const backing = createMemoryBacking();
  const store = createMemoryStore(backing);
  const history = await openHistory(store);
  const chats = await openChatList(store, history, 'me');
  return { backing, store, history, chats };
}

describe('chat list', () => {
  it('sorts pinned chats first, then by last activity (newest message or explicit activity)', async () => {
    const { history, chats } = await setup();
    await chats.ensure('a', 100);
    await chats.ensure('b', 200);
    await chats.ensure('c', 300);
    await chats.ensure('d', 50);
    expect(chats.list().map((c) => c.groupId)).toEqual(['c', 'b', 'a', 'd']);
    await history.add([msg('a', 1, 1000)]);
    expect(chats.list().map((c) => c.groupId)).toEqual(['a', 'c', 'b', 'd']);
    await chats.setPinned('d', true);
    await chats.setPinned('b', true);
    expect(chats.list().map((c) => c.groupId)).toEqual(['b', 'd', 'a', 'c']);
    await chats.setPinned('b', false);
    expect(chats.list().map((c) => c.groupId)).toEqual(['d', 'a', 'c', 'b']);
    expect(chats.get('a')?.lastMessage?.text).toBe('消息1');
  });

  it('derives unread and mention-unread counts from the history and the last-read sequence', async () => {
    const { history, chats } = await setup();
    await chats.ensure('g', 0);
    await history.add([
      msg('g', 1, 1),
      msg('g', 2, 2, { sender: 'me' }),
      msg('g', 3, 3, { mentions: ['me'] }),
      msg('g', 4, 4, { mentionAll: true }),
    ]);
    expect(chats.get('g')).toMatchObject({ unread: 3, mentionUnread: 2 });
    await chats.markRead('g', 3);
    expect(chats.get('g')).toMatchObject({ unread: 1, mentionUnread: 1, lastReadSeq: 3 });
    await chats.markRead('g', 1); // never moves backwards
    expect(chats.get('g')?.lastReadSeq).toBe(3);
    const recalled = history.page('g').messages[3]!;
    await history.recall('g', recalled.messageId);
    expect(chats.get('g')).toMatchObject({ unread: 0, mentionUnread: 0 });
  });

  it('leaves muted chats out of the total unread badge', async () => {
    const { history, chats } = await setup();
    await chats.ensure('loud', 0);
    await chats.ensure('quiet', 0);
    await history.add([msg('loud', 1, 1), msg('quiet', 1, 1), msg('quiet', 2, 2)]);
    expect(chats.totalUnread()).toBe(3);
    await chats.setMuted('quiet', true);
    expect(chats.totalUnread()).toBe(1);
    expect(chats.get('quiet')?.unread).toBe(2); // still counted per chat, just silent
    expect(chats.isMuted('quiet')).toBe(true);
    expect(chats.isMuted('loud')).toBe(false);
    expect(chats.isMuted('unknown')).toBe(false); // not in the list (yet): nothing to silence
    await chats.setMuted('quiet', false);
    expect(chats.isMuted('quiet')).toBe(false);
  });

  it('persists pinned, muted, remark and last read across a reopen; remove forgets a chat', async () => {
    const { backing, history, chats } = await setup();
    await chats.ensure('g', 10);
    await chats.ensure('h', 20);
    await chats.setPinned('g', true);
    await chats.setMuted('g', true);
    await chats.setRemark('g', '家长群（三班）');
    await chats.markRead('g', 7);
    await chats.remove('h');
    await history.close();
    const store2 = createMemoryStore(backing);
    const chats2 = await openChatList(store2, await openHistory(store2), 'me');
    expect(chats2.list()).toEqual([
      { groupId: 'g', pinned: true, muted: true, remark: '家长群（三班）', lastReadSeq: 7, lastActivity: 10, unread: 0, mentionUnread: 0 },
    ]);
  });

  it('rejects bad input and unknown chats; refuses a damaged record', async () => {
    const { backing, store, history, chats } = await setup();
    await expect(chats.setPinned('nope', true)).rejects.toThrow(RangeError);
    await chats.ensure('g', 0);
    await expect(chats.setRemark('g', 'x'.repeat(65))).rejects.toThrow(RangeError);
    await expect(chats.setMuted('g', 'yes' as never)).rejects.toThrow(TypeError);
    await expect(chats.markRead('g', -1)).rejects.toThrow(RangeError);
    await store.put(CHAT_KEY_PREFIX + 'g', encodeUtf8('{"groupId":"g","pinned":"yes"}'));
    await expect(openChatList(createMemoryStore(backing), history, 'me')).rejects.toSatisfy((e: unknown) => isE2eeError(e, STORE_CORRUPT));
  });
});
