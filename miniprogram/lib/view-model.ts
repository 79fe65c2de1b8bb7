// The view model: the only thing pages render, and the contract the SDK will fill.
//
// Plain, JSON-safe data only: strings, finite numbers, booleans, arrays and plain
// objects. Never keys, BigInt, Uint8Array/ArrayBuffer or class instances (they would go
// through setData to the render layer, which must see none of them). Times are
// milliseconds since the epoch. Text is already decrypted and already masked by the
// group's PII policy; pages never decide what is shown to whom.

export type Role = 'owner' | 'admin' | 'member';
export type GroupKind = 'normal' | 'private';
export type JoinPolicy = 'open-link' | 'admin-approval' | 'invite-only';

/** What the current user is in a group (decides which buttons a page shows). */
export interface MeInGroup {
  memberId: string;
  role: Role;
  /** Muted by an admin, or the whole group muted. */
  mutedBySomeone: boolean;
}

/** One row of the chat list. */
export interface ChatSummary {
  chatId: string;
  name: string;
  /** Up to 9 avatar URLs (local temp paths after decryption) for the grid avatar; may be empty. */
  avatarUrls: string[];
  /** Decrypted, masked preview of the last message, e.g. "张三: 明天见" or "[图片]". */
  lastPreview: string;
  /** Time of the last message; 0 when the chat is empty. */
  lastAt: number;
  unread: number;
  /** Someone @-mentioned me (or @所有人) in an unread message. */
  mentioned: boolean;
  /** Notifications muted by me (消息免打扰). */
  muted: boolean;
  /** Pinned by me (置顶). */
  pinned: boolean;
  /** I left, was removed, or the group was dissolved. */
  left: boolean;
}

export type MessageKind = 'text' | 'image' | 'video' | 'voice' | 'file' | 'poll' | 'qa' | 'system';

export interface ReplyRef {
  messageId: string;
  senderName: string;
  preview: string;
}

export interface PollView {
  question: string;
  options: { optionId: string; text: string; votes: number; mine: boolean }[];
  closed: boolean;
}

export interface QaView {
  question: string;
  answers: { senderName: string; text: string }[];
}

export interface AttachmentView {
  /** Local path of the decrypted file or thumbnail, '' until downloaded. */
  localPath: string;
  name: string;
  sizeBytes: number;
  /** Seconds, for voice and video. */
  durationSec: number;
}

export interface MessageView {
  messageId: string;
  senderId: string;
  senderName: string;
  senderAvatarUrl: string;
  mine: boolean;
  sentAt: number;
  kind: MessageKind;
  /** Text (masked), or the system notice text for kind 'system'. */
  text: string;
  attachment?: AttachmentView;
  poll?: PollView;
  qa?: QaView;
  replyTo?: ReplyRef;
  /** This message @-mentions me or @所有人. */
  mentionsMe: boolean;
  recalled: boolean;
  status: 'sending' | 'sent' | 'failed';
}

export interface MemberSummary {
  memberId: string;
  nickname: string;
  avatarUrl: string;
  role: Role;
  muted: boolean;
}

export interface ChatView {
  chatId: string;
  name: string;
  memberCount: number;
  me: MeInGroup;
  left: boolean;
  muted: boolean;
  messages: MessageView[];
  /** For the @ picker. */
  members: MemberSummary[];
  /** Messages below the visible area ("有新消息") and whether one of them mentions me ("有人@我"). */
  newBelow: number;
  mentionBelow: boolean;
}

export interface PermissionsView {
  whoMayInvite: 'admins' | 'everyone';
  whoMayEditInfo: 'admins' | 'everyone';
  whoMaySendMedia: 'admins' | 'everyone';
  allMuted: boolean;
}

export interface GroupInfoView {
  chatId: string;
  name: string;
  kind: GroupKind;
  announcement: string;
  myNickname: string;
  remark: string;
  muted: boolean;
  pinned: boolean;
  joinPolicy: JoinPolicy;
  /** Names of the PII categories masked before upload, e.g. ["手机号", "身份证号"]. */
  piiMasked: string[];
  permissions: PermissionsView;
  members: MemberSummary[];
  me: MeInGroup;
  /** Invite ID for the share card (the card carries nothing else); '' until the SDK has one. */
  inviteId: string;
  /** Join requests waiting for approval (shown to the owner and admins). `name` is what the joiner typed: unverified. */
  joinRequests: { requestId: number; name: string }[];
}

export interface MemberDetailView {
  chatId: string;
  member: MemberSummary;
  /** Safety number in groups of five digits, for comparing in person. */
  safetyNumber: string;
  /** The member's recent messages in this group (发言记录), newest first. */
  recentMessages: { messageId: string; sentAt: number; preview: string }[];
  me: MeInGroup;
}

export interface SearchResultView {
  chatId: string;
  chatName: string;
  messageId: string;
  senderName: string;
  sentAt: number;
  /** The matching text split around the hits, for highlighting. */
  parts: { text: string; hit: boolean }[];
}

export interface SearchView {
  query: string;
  results: SearchResultView[];
  searching: boolean;
}

export interface AppViewModel {
  /** False until the SDK has loaded keys and filled its entropy pool. */
  ready: boolean;
  /** A short, user-facing problem (Chinese), '' when none. */
  problem: string;
  myNickname: string;
  chats: ChatSummary[];
  chatViews: Record<string, ChatView>;
  groupInfos: Record<string, GroupInfoView>;
  members: Record<string, MemberDetailView>;
  search: SearchView;
  /** The newest in-app alert (new message or @mention), or null. Content-free when the chat is muted. */
  alert: { chatId: string; text: string; mention: boolean; at: number } | null;
}

export function emptyViewModel(): AppViewModel {
  return {
    ready: false,
    problem: '',
    myNickname: '',
    chats: [],
    chatViews: {},
    groupInfos: {},
    members: {},
    search: { query: '', results: [], searching: false },
    alert: null,
  };
}

/** Key of a member detail in `AppViewModel.members`. */
export function memberKey(chatId: string, memberId: string): string {
  return `${chatId}/${memberId}`;
}
