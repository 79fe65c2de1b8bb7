// Pure presentation: turns view-model data into what a template shows. No wx, no SDK.
import type { ChatSummary, MemberSummary, MessageKind, MessageView, Role } from './view-model';

/** Messages further apart than this get a time separator between them (WeChat shows ~5 minutes). */
export const TIME_SEPARATOR_GAP_MS = 5 * 60 * 1000;
export const MAX_BADGE = 99;

const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const MEDIA_LABELS: Record<MessageKind, string> = {
  text: '',
  image: '[图片]',
  video: '[视频]',
  voice: '[语音]',
  file: '[文件]',
  poll: '[投票]',
  qa: '[问答]',
  system: '',
};
export const ROLE_LABELS: Record<Role, string> = { owner: '群主', admin: '管理员', member: '成员' };

/** Pinned chats first; then the most recent first; ties by name, then ID, so the order is total. */
export function sortChats(chats: readonly ChatSummary[]): ChatSummary[] {
  return [...chats].sort(
    (a, b) =>
      Number(b.pinned) - Number(a.pinned) ||
      b.lastAt - a.lastAt ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0),
  );
}

/** Badge text: '' for none, the count up to 99, then '99+'. A muted chat shows a dot instead. */
export function badgeText(unread: number, muted: boolean): string {
  if (muted || !(unread > 0)) return '';
  return unread > MAX_BADGE ? `${MAX_BADGE}+` : String(Math.floor(unread));
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Chat-list time: "09:05" today, "昨天", a weekday within the week, else "2024/3/7". */
export function formatListTime(at: number, now: number): string {
  if (!(at > 0)) return '';
  const d = new Date(at);
  const days = Math.round((startOfDay(now) - startOfDay(at)) / 86_400_000);
  if (days <= 0) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (days === 1) return '昨天';
  if (days < 7) return WEEKDAYS[d.getDay()]!;
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()}`;
}

/** Separator time inside a chat: the list form, plus the clock when it is not today. */
export function formatSeparatorTime(at: number, now: number): string {
  const d = new Date(at);
  const clock = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const day = formatListTime(at, now);
  return day === clock ? clock : `${day} ${clock}`;
}

export interface ChatRow {
  chatId: string;
  name: string;
  avatarText: string;
  avatarUrls: string[];
  preview: string;
  time: string;
  badge: string;
  /** A red dot without a number: unread in a muted chat. */
  dot: boolean;
  mentioned: boolean;
  muted: boolean;
  pinned: boolean;
  left: boolean;
}

export function chatListRows(chats: readonly ChatSummary[], now: number): ChatRow[] {
  return sortChats(chats).map((c) => ({
    chatId: c.chatId,
    name: c.name,
    avatarText: Array.from(c.name)[0] ?? '群',
    avatarUrls: c.avatarUrls.slice(0, 9),
    preview: c.left ? `${c.lastPreview ? c.lastPreview + ' · ' : ''}你已不在群聊中` : c.lastPreview,
    time: formatListTime(c.lastAt, now),
    badge: badgeText(c.unread, c.muted),
    dot: c.muted && c.unread > 0,
    mentioned: c.mentioned && c.unread > 0,
    muted: c.muted,
    pinned: c.pinned,
    left: c.left,
  }));
}

/** A one-line preview of a message for lists, replies and search. */
export function messagePreview(m: Pick<MessageView, 'kind' | 'text' | 'recalled' | 'senderName' | 'mine'>): string {
  if (m.recalled) return m.mine ? '你撤回了一条消息' : `"${m.senderName}" 撤回了一条消息`;
  const label = MEDIA_LABELS[m.kind];
  if (m.kind === 'text' || m.kind === 'system') return m.text;
  return m.text ? `${label} ${m.text}` : label;
}

export interface BubbleRow {
  key: string;
  /** 'time' separator, 'notice' (system or recalled), or a 'bubble'. */
  row: 'time' | 'notice' | 'bubble';
  text: string;
  messageId: string;
  side: 'left' | 'right';
  senderName: string;
  avatarText: string;
  kind: MessageKind;
  mentionsMe: boolean;
  failed: boolean;
  sending: boolean;
  replyText: string;
  media: string;
  pollOptions: { optionId: string; text: string; votes: number; mine: boolean }[];
  pollQuestion: string;
  /** Local path of a decrypted image, '' when none or not yet downloaded. */
  imagePath: string;
  /** Local path of decrypted voice, video or file, '' until downloaded (tap downloads it). */
  mediaPath: string;
  qaAnswers: { senderName: string; text: string }[];
  /** A question anyone may answer (回答). */
  canAnswer: boolean;
}

function blankBubble(key: string, row: BubbleRow['row'], text: string): BubbleRow {
  return {
    key,
    row,
    text,
    messageId: '',
    side: 'left',
    senderName: '',
    avatarText: '',
    kind: 'system',
    mentionsMe: false,
    failed: false,
    sending: false,
    replyText: '',
    media: '',
    pollOptions: [],
    pollQuestion: '',
    imagePath: '',
    mediaPath: '',
    qaAnswers: [],
    canAnswer: false,
  };
}

/** Bubbles (mine right, others left with nickname), time separators, system and recall notices. */
export function bubbleRows(messages: readonly MessageView[], now: number): BubbleRow[] {
  const rows: BubbleRow[] = [];
  let previousAt = -Infinity;
  for (const m of messages) {
    if (m.sentAt - previousAt > TIME_SEPARATOR_GAP_MS) {
      rows.push(blankBubble(`t-${m.messageId}`, 'time', formatSeparatorTime(m.sentAt, now)));
    }
    previousAt = m.sentAt;
    if (m.kind === 'system' || m.recalled) {
      rows.push({ ...blankBubble(`m-${m.messageId}`, 'notice', messagePreview(m)), messageId: m.messageId });
      continue;
    }
    rows.push({
      key: `m-${m.messageId}`,
      row: 'bubble',
      text: m.kind === 'poll' || m.kind === 'qa' ? '' : m.text,
      messageId: m.messageId,
      side: m.mine ? 'right' : 'left',
      senderName: m.mine ? '' : m.senderName,
      avatarText: Array.from(m.senderName)[0] ?? '?',
      kind: m.kind,
      mentionsMe: m.mentionsMe,
      failed: m.status === 'failed',
      sending: m.status === 'sending',
      replyText: m.replyTo ? `${m.replyTo.senderName}: ${m.replyTo.preview}` : '',
      media: m.kind === 'text' || m.kind === 'poll' || m.kind === 'qa' ? '' : mediaLine(m),
      pollOptions: m.poll ? m.poll.options.map((o) => ({ ...o })) : [],
      pollQuestion: m.poll ? m.poll.question : m.qa ? m.qa.question : '',
      imagePath: m.kind === 'image' && m.attachment ? m.attachment.localPath : '',
      mediaPath: (m.kind === 'voice' || m.kind === 'video' || m.kind === 'file') && m.attachment ? m.attachment.localPath : '',
      qaAnswers: m.qa ? m.qa.answers.map((a) => ({ senderName: a.senderName, text: a.text })) : [],
      canAnswer: m.kind === 'qa' && m.status === 'sent',
    });
  }
  return rows;
}

function mediaLine(m: MessageView): string {
  const label = MEDIA_LABELS[m.kind];
  const a = m.attachment;
  if (!a) return label;
  if (m.kind === 'voice' || m.kind === 'video') return `${label} ${a.durationSec}″`;
  if (m.kind === 'file') return `${label} ${a.name} (${formatSize(a.sizeBytes)})`;
  return label;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface MentionCandidate {
  memberId: string;
  /** '所有人' for @all. */
  label: string;
  all: boolean;
}

/** The "@" picker: @所有人 first for owners and admins, then the other members matching the query. */
export function mentionCandidates(members: readonly MemberSummary[], myRole: Role, myId: string, query: string): MentionCandidate[] {
  const q = query.trim().toLowerCase();
  const out: MentionCandidate[] = [];
  if (myRole !== 'member' && (q === '' || '所有人'.includes(q))) out.push({ memberId: '', label: '所有人', all: true });
  for (const m of members) {
    if (m.memberId === myId) continue;
    if (q === '' || m.nickname.toLowerCase().includes(q)) out.push({ memberId: m.memberId, label: m.nickname, all: false });
  }
  return out;
}

/** The emoji panel: common emoji as plain Unicode text (they travel inside the encrypted text). */
export const EMOJI_PANEL = [
  '😀', '😂', '🥲', '😊', '😍', '😘', '😎', '🤔', '😭', '😡', '😱', '😴',
  '👍', '👎', '👏', '🙏', '💪', '🤝', '👌', '✌️', '❤️', '💔', '🎉', '🌹',
  '☕', '🍚', '🧧', '🔥', '✅', '❌', '⏰', '📎',
];

/** The trailing "@query" being typed at the end of the input, or null. */
export function trailingMention(text: string): string | null {
  const m = /@([^\s@]*)$/.exec(text);
  return m ? m[1]! : null;
}

/** Longest poll question, option, or Q&A text a member may type (characters). */
export const MAX_POLL_TEXT_CHARS = 200;
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 10;

/**
 * A poll as typed into the form: trimmed, blank options dropped, duplicates refused.
 * Returns the reason in Chinese when it cannot be sent, else the cleaned poll.
 */
export function cleanPoll(question: string, options: readonly string[]): { question: string; options: string[] } | { problem: string } {
  const q = question.trim();
  if (!q) return { problem: '请输入投票问题' };
  if (Array.from(q).length > MAX_POLL_TEXT_CHARS) return { problem: `问题最多 ${MAX_POLL_TEXT_CHARS} 个字` };
  const opts = options.map((o) => o.trim()).filter((o) => o !== '');
  if (opts.length < MIN_POLL_OPTIONS) return { problem: `至少需要 ${MIN_POLL_OPTIONS} 个选项` };
  if (opts.length > MAX_POLL_OPTIONS) return { problem: `最多 ${MAX_POLL_OPTIONS} 个选项` };
  if (opts.some((o) => Array.from(o).length > MAX_POLL_TEXT_CHARS)) return { problem: `选项最多 ${MAX_POLL_TEXT_CHARS} 个字` };
  if (new Set(opts).size !== opts.length) return { problem: '选项不能重复' };
  return { question: q, options: opts };
}
