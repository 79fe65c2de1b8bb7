// The user's own chat list: per group pinned (置顶), notification-muted, personal remark,
// last-read sequence and last activity, in the user's local store ("chat/<groupId>" keys,
// one small JSON record per group, written atomically). Nothing here is shared.
//
// Unread and mention-unread counts are derived from the history (messages after the
// last-read sequence, not sent by the user, not from blocked members), so they can never
// drift from what the history shows; they persist because the history and the last-read
// sequence do.
import { STORE_CLOSED, STORE_CORRUPT, storeError } from '../store/errors';
import { createSerial } from '../store/serial';
import type { LocalStore } from '../store/types';
import { checkId } from './codec';
import { MAX_REMARK_CHARS } from './limits';
import type { History } from './history-store';
import type { StoredMessage } from './types';
import { decodeUtf8, encodeUtf8 } from './utf8';

export const CHAT_KEY_PREFIX = 'chat/';

export interface ChatState {
  groupId: string;
  pinned: boolean;
  /** Notifications off for this group (mentions may still alert; the SDK decides). */
  muted: boolean;
  /** The user's own name for the group; '' for none. */
  remark: string;
  lastReadSeq: number;
  /** Last activity recorded explicitly (creation, join), ms. The newest message counts too. */
  lastActivity: number;
}

export interface ChatEntry extends ChatState {
  unread: number;
  mentionUnread: number;
  lastMessage?: StoredMessage;
}

export interface ChatList {
  /** Adds a chat (on create or join); keeps an existing one, raising its activity. */
  ensure(groupId: string, activityAt: number): Promise<ChatEntry>;
  remove(groupId: string): Promise<void>;
  setPinned(groupId: string, pinned: boolean): Promise<void>;
  setMuted(groupId: string, muted: boolean): Promise<void>;
  setRemark(groupId: string, remark: string): Promise<void>;
  /** Marks everything up to `seq` read; never moves backwards. */
  markRead(groupId: string, seq: number): Promise<void>;
  get(groupId: string): ChatEntry | undefined;
  /** Whether notifications of the chat are muted: get() without its history scans (called per received batch). */
  isMuted(groupId: string): boolean;
  /** Pinned chats first, then by last activity, newest first. */
  list(): ChatEntry[];
  /** Unread messages in chats that are not muted (an app badge). */
  totalUnread(): number;
  close(): void;
}

function checkState(value: unknown): ChatState | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (typeof r.groupId !== 'string' || typeof r.pinned !== 'boolean' || typeof r.muted !== 'boolean') return null;
  if (typeof r.remark !== 'string' || r.remark.length > MAX_REMARK_CHARS) return null;
  if (!Number.isSafeInteger(r.lastReadSeq) || !Number.isSafeInteger(r.lastActivity)) return null;
  return {
    groupId: r.groupId,
    pinned: r.pinned,
    muted: r.muted,
    remark: r.remark,
    lastReadSeq: r.lastReadSeq as number,
    lastActivity: r.lastActivity as number,
  };
}

export async function openChatList(store: LocalStore, history: History, self: string): Promise<ChatList> {
  checkId('self', self);
  const chats = new Map<string, ChatState>();
  for (const key of await store.keys(CHAT_KEY_PREFIX)) {
    const bytes = await store.get(key);
    let state: ChatState | null = null;
    try {
      state = bytes ? checkState(JSON.parse(decodeUtf8(bytes) ?? '')) : null;
    } catch {
      state = null;
    }
    if (!state || CHAT_KEY_PREFIX + state.groupId !== key) {
      throw storeError(STORE_CORRUPT, 'a chat list record does not decode', 'openChatList');
    }
    chats.set(state.groupId, state);
  }
  const serial = createSerial();
  let closed = false;

  function guard(operation: string): void {
    if (closed) throw storeError(STORE_CLOSED, 'the chat list is closed', operation);
  }

  function entry(state: ChatState): ChatEntry {
    const last = history.latest(state.groupId);
    const counts = history.unreadCounts(state.groupId, state.lastReadSeq, self);
    const out: ChatEntry = {
      ...state,
      lastActivity: Math.max(state.lastActivity, last?.timestamp ?? 0),
      unread: counts.unread,
      mentionUnread: counts.mentions,
    };
    if (last) out.lastMessage = last;
    return out;
  }

  /** Writes the new state first; memory changes only when the write succeeded. */
  function update(operation: string, groupId: string, change: (s: ChatState) => ChatState): Promise<void> {
    checkId('groupId', groupId);
    return serial(async () => {
      guard(operation);
      const current = chats.get(groupId);
      if (!current) throw new RangeError(`"groupId" is not in the chat list`);
      const next = change({ ...current });
      await store.put(CHAT_KEY_PREFIX + groupId, encodeUtf8(JSON.stringify(next)));
      chats.set(groupId, next);
    });
  }

  const bool = (name: string, v: unknown): boolean => {
    if (typeof v !== 'boolean') throw new TypeError(`"${name}" expected boolean`);
    return v;
  };
  const count = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`"${name}" expected a safe integer`);
    if (v < 0) throw new RangeError(`"${name}" expected a non-negative integer`);
    return v;
  };

  return {
    async ensure(groupId, activityAt) {
      checkId('groupId', groupId);
      count('activityAt', activityAt);
      return serial(async () => {
        guard('ensure');
        const current = chats.get(groupId);
        const next: ChatState = current
          ? { ...current, lastActivity: Math.max(current.lastActivity, activityAt) }
          : { groupId, pinned: false, muted: false, remark: '', lastReadSeq: 0, lastActivity: activityAt };
        await store.put(CHAT_KEY_PREFIX + groupId, encodeUtf8(JSON.stringify(next)));
        chats.set(groupId, next);
        return entry(next);
      });
    },
    async remove(groupId) {
      checkId('groupId', groupId);
      return serial(async () => {
        guard('remove');
        await store.delete(CHAT_KEY_PREFIX + groupId);
        chats.delete(groupId);
      });
    },
    async setPinned(groupId, pinned) {
      bool('pinned', pinned);
      return update('setPinned', groupId, (s) => ({ ...s, pinned }));
    },
    async setMuted(groupId, muted) {
      bool('muted', muted);
      return update('setMuted', groupId, (s) => ({ ...s, muted }));
    },
    async setRemark(groupId, remark) {
      if (typeof remark !== 'string') throw new TypeError('"remark" expected string');
      if (remark.length > MAX_REMARK_CHARS) throw new RangeError(`"remark" expected at most ${MAX_REMARK_CHARS} characters`);
      return update('setRemark', groupId, (s) => ({ ...s, remark }));
    },
    async markRead(groupId, seq) {
      count('seq', seq);
      return update('markRead', groupId, (s) => ({ ...s, lastReadSeq: Math.max(s.lastReadSeq, seq) }));
    },
    get(groupId) {
      guard('get');
      const s = chats.get(checkId('groupId', groupId));
      return s ? entry(s) : undefined;
    },
    isMuted(groupId) {
      guard('isMuted');
      return chats.get(checkId('groupId', groupId))?.muted ?? false;
    },
    list() {
      guard('list');
      return [...chats.values()]
        .map(entry)
        .sort((a, b) =>
          a.pinned !== b.pinned ? (a.pinned ? -1 : 1) : b.lastActivity - a.lastActivity || (a.groupId < b.groupId ? -1 : 1),
        );
    },
    totalUnread() {
      guard('totalUnread');
      let total = 0;
      for (const s of chats.values()) if (!s.muted) total += history.unreadCounts(s.groupId, s.lastReadSeq, self).unread;
      return total;
    },
    close() {
      closed = true;
    },
  };
}
