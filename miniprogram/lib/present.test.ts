import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { badgeText, bubbleRows, chatListRows, cleanPoll, formatListTime, mentionCandidates, messagePreview, sortChats, trailingMention } from './present';
import type { ChatSummary, MemberSummary, MessageView } from './view-model';

const chat = (over: Partial<ChatSummary> & { chatId: string }): ChatSummary => ({
  name: over.chatId,
  avatarUrls: [],
  lastPreview: '',
  lastAt: 0,
  unread: 0,
  mentioned: false,
  muted: false,
  pinned: false,
  left: false,
  ...over,
});

const arbChat = fc.record({
  chatId: fc.string({ minLength: 1, maxLength: 6 }),
  name: fc.string({ maxLength: 6 }),
  lastAt: fc.integer({ min: 0, max: 1e12 }),
  pinned: fc.boolean(),
  unread: fc.nat(500),
  muted: fc.boolean(),
});

describe('sortChats', () => {
  it('property: pinned chats form a prefix, each part sorted newest first, nothing lost', () => {
    fc.assert(
      fc.property(fc.array(arbChat, { maxLength: 30 }), (raw) => {
        const chats = raw.map((c) => chat(c));
        const sorted = sortChats(chats);
        expect(sorted).toHaveLength(chats.length);
        const firstUnpinned = sorted.findIndex((c) => !c.pinned);
        if (firstUnpinned >= 0) expect(sorted.slice(firstUnpinned).every((c) => !c.pinned)).toBe(true);
        for (let i = 1; i < sorted.length; i++) {
          if (sorted[i]!.pinned === sorted[i - 1]!.pinned) expect(sorted[i]!.lastAt).toBeLessThanOrEqual(sorted[i - 1]!.lastAt);
        }
        // Total order: the input order does not matter.
        expect(sortChats([...chats].reverse()).map((c) => c.chatId + c.name + c.lastAt)).toEqual(sorted.map((c) => c.chatId + c.name + c.lastAt));
      }),
    );
  });

  it('does not mutate its input', () => {
    const chats = [chat({ chatId: 'a', lastAt: 1 }), chat({ chatId: 'b', lastAt: 2, pinned: true })];
    sortChats(chats);
    expect(chats.map((c) => c.chatId)).toEqual(['a', 'b']);
  });
});

describe('badges, times and rows', () => {
  it('badge: none, the count, 99+, and none when muted', () => {
    expect(badgeText(0, false)).toBe('');
    expect(badgeText(7, false)).toBe('7');
    expect(badgeText(99, false)).toBe('99');
    expect(badgeText(100, false)).toBe('99+');
    expect(badgeText(5, true)).toBe('');
    expect(badgeText(Number.NaN, false)).toBe('');
  });

  it('list time: clock today, 昨天, weekday within a week, date beyond', () => {
    const now = new Date(2026, 10, 26, 15, 30).getTime(); // a Thursday
    expect(formatListTime(new Date(2026, 10, 26, 9, 5).getTime(), now)).toBe('09:05');
    expect(formatListTime(new Date(2026, 10, 25, 23, 59).getTime(), now)).toBe('昨天');
    expect(formatListTime(new Date(2026, 10, 23, 12, 0).getTime(), now)).toBe('星期一');
    expect(formatListTime(new Date(2026, 10, 10, 12, 0).getTime(), now)).toBe('2026/11/10');
    expect(formatListTime(0, now)).toBe('');
  });

  it('rows: a muted chat with unread shows a dot; @ notice only while unread', () => {
    const rows = chatListRows([chat({ chatId: 'm', muted: true, unread: 3, mentioned: true }), chat({ chatId: 'r', mentioned: true })], 0);
    expect(rows.map((r) => [r.chatId, r.badge, r.dot, r.mentioned])).toEqual([
      ['m', '', true, true],
      ['r', '', false, false],
    ]);
  });
});

describe('bubbles', () => {
  const base = (over: Partial<MessageView> & { messageId: string }): MessageView => ({
    senderId: 's',
    senderName: '张三',
    senderAvatarUrl: '',
    mine: false,
    sentAt: 0,
    kind: 'text',
    text: '',
    mentionsMe: false,
    recalled: false,
    status: 'sent',
    ...over,
  });

  it('puts a time separator before the first message and after gaps over five minutes', () => {
    const t = 1_000_000_000_000;
    const rows = bubbleRows(
      [base({ messageId: '1', sentAt: t }), base({ messageId: '2', sentAt: t + 4 * 60_000 }), base({ messageId: '3', sentAt: t + 10 * 60_000, mine: true })],
      t,
    );
    expect(rows.map((r) => r.row)).toEqual(['time', 'bubble', 'bubble', 'time', 'bubble']);
    expect(rows.map((r) => r.side).filter((_, i) => rows[i]!.row === 'bubble')).toEqual(['left', 'left', 'right']);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it('previews: media labels, recall notices in both voices', () => {
    expect(messagePreview(base({ messageId: 'a', kind: 'image' }))).toBe('[图片]');
    expect(messagePreview(base({ messageId: 'a', kind: 'file', text: '合同' }))).toBe('[文件] 合同');
    expect(messagePreview(base({ messageId: 'a', recalled: true }))).toBe('"张三" 撤回了一条消息');
    expect(messagePreview(base({ messageId: 'a', recalled: true, mine: true }))).toBe('你撤回了一条消息');
  });
});

describe('mentions', () => {
  const members: MemberSummary[] = [
    { memberId: 'me', nickname: '我', avatarUrl: '', role: 'admin', muted: false },
    { memberId: 'z', nickname: '张三', avatarUrl: '', role: 'member', muted: false },
    { memberId: 'w', nickname: 'Wang', avatarUrl: '', role: 'member', muted: false },
  ];

  it('offers @所有人 to owners and admins only, never myself, filtered by the query', () => {
    expect(mentionCandidates(members, 'admin', 'me', '').map((c) => c.label)).toEqual(['所有人', '张三', 'Wang']);
    expect(mentionCandidates(members, 'member', 'me', '').map((c) => c.label)).toEqual(['张三', 'Wang']);
    expect(mentionCandidates(members, 'owner', 'me', 'wa').map((c) => c.label)).toEqual(['Wang']);
    expect(mentionCandidates(members, 'owner', 'me', '所').map((c) => c.label)).toEqual(['所有人']);
  });

  it('finds the @query being typed at the end only', () => {
    expect(trailingMention('你好 @张')).toBe('张');
    expect(trailingMention('@')).toBe('');
    expect(trailingMention('邮件 a@b.com 已发')).toBeNull();
    expect(trailingMention('@张三 你好')).toBeNull();
  });
});

describe('cleanPoll', () => {
  it('trims, drops blank options and keeps the order', () => {
    expect(cleanPoll(' 去哪？ ', [' 公园 ', '', '  ', '博物馆'])).toEqual({ question: '去哪？', options: ['公园', '博物馆'] });
  });
  it('refuses a missing question, too few, too many, repeated or over-long options', () => {
    expect(cleanPoll('  ', ['a', 'b'])).toEqual({ problem: '请输入投票问题' });
    expect(cleanPoll('q', ['a', ' '])).toEqual({ problem: '至少需要 2 个选项' });
    expect(cleanPoll('q', Array.from({ length: 11 }, (_, i) => `o${i}`))).toEqual({ problem: '最多 10 个选项' });
    expect(cleanPoll('q', ['同意', ' 同意'])).toEqual({ problem: '选项不能重复' });
    expect(cleanPoll('q', ['a', '字'.repeat(201)])).toEqual({ problem: '选项最多 200 个字' });
    expect(cleanPoll('问'.repeat(201), ['a', 'b'])).toEqual({ problem: '问题最多 200 个字' });
  });
  it('counts characters, not UTF-16 units (emoji count once)', () => {
    expect(cleanPoll('q', ['a', '😀'.repeat(200)])).toMatchObject({ options: ['a', '😀'.repeat(200)] });
  });
});
