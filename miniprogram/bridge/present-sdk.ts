// SDK state -> the view model pages render (lib/view-model.ts). Pure: no SDK calls, no wx.
//
// Inputs are what the client SDK keeps (history records, chat-list entries, the public
// group state, decrypted group info, poll and Q&A reducers); the output is plain data only.
// IDs become lower-case hex; keys, byte arrays and BigInt never leave this file (the store
// checks that again before any setData). Text is shown as the history holds it: already
// masked by the group's PII policy before it was encrypted.
// SDK values come through sdk-entry only: in lib/bridge.js that import is `require('./sdk.js')`.
import { actionFor, bytesToHex, decodePolicyBytes, ENTITY_LABELS, ENTITY_TYPES } from '../sdk-entry';
import type { GroupPolicy, Permission, Role as WireRole } from '../../crypto/src/wire/log-entry';
import type { PublicGroupState } from '../../crypto/src/wire/public-state';
import type { ChatEntry } from '../../client/src/history/chat-list';
import type { StoredMessage } from '../../client/src/history/types';
import type { PollState, PollTally } from '../../client/src/content/poll';
import type { QuestionState } from '../../client/src/content/qa';
import { messagePreview } from '../lib/present';
import type {
  AppViewModel,
  ChatSummary,
  ChatView,
  GroupInfoView,
  JoinPolicy,
  MeInGroup,
  MemberDetailView,
  MemberSummary,
  MessageView,
  PermissionsView,
  Role,
} from '../lib/view-model';

/** Messages of a chat put into its view (the newest); older ones page in from the history. */
export const CHAT_VIEW_MESSAGES = 200;
/** A member's speaking record (发言记录) on the member page. */
export const SPEAKING_RECORD_MESSAGES = 20;

export type GroupStatus = 'active' | 'left' | 'removed' | 'dissolved';

/** One group as the SDK knows it. */
export interface GroupSource {
  /** Hex group ID. */
  groupId: string;
  status: GroupStatus;
  info: { name: string; type: 'normal' | 'private'; announcement: string } | null;
  /** Public state at the current epoch (members, roles, policy); null before the first entry. */
  state: PublicGroupState | null;
  /** The SDK would send now (no pending removal, no alarm, not muted). */
  canSend: boolean;
  /** Invite ID for the share card, '' when none was made. */
  inviteId: string;
  /** This device's nickname in the group ('' for the default). */
  myNickname: string;
  /** Join requests waiting for this device's approval (owner and admins). */
  joinRequests?: { requestId: number; memberId: string; name: string }[];
}

/** A message this device is sending (not yet in the history). */
export interface PendingSend {
  groupId: string;
  messageId: string;
  text: string;
  sentAt: number;
  failed: boolean;
}

export interface PresentInput {
  /** Hex member ID of this device. */
  selfId: string;
  myNickname: string;
  /** Display names the SDK learned (member ID hex -> nickname); others get a short ID. */
  names: ReadonlyMap<string, string>;
  groups: readonly GroupSource[];
  /** The chat list (client/src/history/chat-list.ts), any order. */
  chats: readonly ChatEntry[];
  /** Newest messages per group (ascending by seq), at most CHAT_VIEW_MESSAGES each. */
  messages: ReadonlyMap<string, readonly StoredMessage[]>;
  /** Looks a message up (for reply quotes outside the page). */
  lookup?: (groupId: string, messageId: string) => StoredMessage | undefined;
  polls: ReadonlyMap<string, { state: PollState; tally: PollTally; myChoices: readonly number[] }>;
  questions: ReadonlyMap<string, QuestionState>;
  /** Local paths of decrypted attachments, by message ID. */
  localPaths: ReadonlyMap<string, string>;
  pending: readonly PendingSend[];
  /** Messages below the fold the chat page has not shown yet, per group. */
  newBelow?: ReadonlyMap<string, { count: number; mention: boolean }>;
  /** Member pages currently open: "groupId/memberId" keys. */
  memberPages?: readonly string[];
  /** Safety numbers, by member ID hex (computed by the SDK). */
  safetyNumbers?: ReadonlyMap<string, string>;
  alert: AppViewModel['alert'];
  problem: string;
  ready: boolean;
  search: AppViewModel['search'];
}

/** A member's name: the nickname the SDK knows, else "成员" and the first six hex digits. */
export function displayName(memberId: string, names: ReadonlyMap<string, string>, selfId?: string, myNickname?: string): string {
  if (selfId !== undefined && memberId === selfId && myNickname) return myNickname;
  const known = names.get(memberId);
  return known && known.trim() ? known : `成员${memberId.slice(0, 6)}`;
}

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

function isMuted(policy: GroupPolicy, memberIdHex: string): boolean {
  return policy.mutedMembers.some((m) => bytesToHex(m) === memberIdHex);
}

/** Members owner first, then admins, then by name. */
export function presentMembers(state: PublicGroupState, names: ReadonlyMap<string, string>, selfId: string, myNickname: string): MemberSummary[] {
  return state.members
    .map((m) => {
      const id = bytesToHex(m.memberId);
      return { memberId: id, nickname: displayName(id, names, selfId, myNickname), avatarUrl: '', role: m.role as Role, muted: isMuted(state.policy, id) };
    })
    .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || (a.nickname < b.nickname ? -1 : a.nickname > b.nickname ? 1 : 0) || (a.memberId < b.memberId ? -1 : 1));
}

export function meInGroup(state: PublicGroupState | null, selfId: string): MeInGroup {
  const me = state?.members.find((m) => bytesToHex(m.memberId) === selfId);
  const role = (me?.role ?? 'member') as WireRole as Role;
  const muted = state ? isMuted(state.policy, selfId) || (state.policy.groupMuted && role === 'member') : false;
  return { memberId: selfId, role, mutedBySomeone: muted };
}

function permissionView(p: Permission): 'admins' | 'everyone' {
  return p === 'members' ? 'everyone' : 'admins';
}

export function presentPermissions(policy: GroupPolicy): PermissionsView {
  return {
    whoMayInvite: permissionView(policy.mayInvite),
    whoMayEditInfo: permissionView(policy.mayEditInfo),
    whoMaySendMedia: permissionView(policy.maySendMedia),
    allMuted: policy.groupMuted,
  };
}

export function presentJoinPolicy(policy: GroupPolicy['joinPolicy']): JoinPolicy {
  return policy === 'open' ? 'open-link' : policy === 'approval' ? 'admin-approval' : 'invite-only';
}

/** Chinese names of the PII categories the group's policy masks (or removes, or tokenises) before upload. */
export function piiCategories(piiPolicy: Uint8Array): string[] {
  let policy;
  try {
    policy = decodePolicyBytes(piiPolicy);
  } catch {
    return [];
  }
  const labels: string[] = [];
  for (const type of ENTITY_TYPES) {
    if (actionFor(policy, type) === 'allow') continue;
    const label = ENTITY_LABELS[type];
    if (!labels.includes(label)) labels.push(label);
  }
  return labels;
}

function groupName(group: GroupSource | undefined, chat: ChatEntry | undefined): string {
  if (chat?.remark) return chat.remark;
  return group?.info?.name || '群聊';
}

/** One history record as a bubble. */
export function presentMessage(m: StoredMessage, input: PresentInput, group: GroupSource | undefined): MessageView {
  const mine = m.sender === input.selfId;
  const senderName = displayName(m.sender, input.names, input.selfId, group?.myNickname || input.myNickname);
  const view: MessageView = {
    messageId: m.messageId,
    senderId: m.sender,
    senderName,
    senderAvatarUrl: '',
    mine,
    sentAt: m.timestamp,
    kind: m.type,
    text: m.text,
    mentionsMe: !mine && (m.mentionAll || m.mentions.includes(input.selfId)),
    recalled: false,
    status: 'sent',
  };
  if (m.attachment) {
    view.attachment = {
      localPath: input.localPaths.get(m.messageId) ?? '',
      name: m.attachment.name ?? '',
      sizeBytes: m.attachment.size ?? 0,
      durationSec: Math.round((m.attachment.durationMs ?? 0) / 1000),
    };
  }
  if (m.type === 'poll') {
    const poll = input.polls.get(m.messageId);
    if (poll) {
      view.poll = {
        question: poll.state.question,
        closed: poll.tally.closed,
        options: poll.state.options.map((text, i) => ({ optionId: String(i), text, votes: poll.tally.counts[i] ?? 0, mine: poll.myChoices.includes(i) })),
      };
    }
  }
  if (m.type === 'qa') {
    const q = input.questions.get(m.messageId);
    view.qa = {
      question: q?.question ?? m.text,
      answers: (q?.answers ?? []).map((a) => ({ senderName: displayName(a.author, input.names, input.selfId, input.myNickname), text: a.text })),
    };
  }
  if (m.replyTo) {
    const quoted = input.messages.get(m.groupId)?.find((x) => x.messageId === m.replyTo) ?? input.lookup?.(m.groupId, m.replyTo!);
    view.replyTo = quoted
      ? {
          messageId: quoted.messageId,
          senderName: displayName(quoted.sender, input.names, input.selfId, input.myNickname),
          preview: messagePreview({ kind: quoted.type, text: quoted.text, recalled: false, senderName: '', mine: false }),
        }
      : { messageId: m.replyTo, senderName: '', preview: '原消息不可见' };
  }
  return view;
}

function previewOf(m: StoredMessage, input: PresentInput, group: GroupSource | undefined): string {
  const text = messagePreview({ kind: m.type, text: m.text, recalled: false, senderName: '', mine: false });
  if (m.type === 'system' || m.sender === input.selfId) return text;
  return `${displayName(m.sender, input.names, input.selfId, group?.myNickname || input.myNickname)}: ${text}`;
}

const LEFT_NOTICE: Record<Exclude<GroupStatus, 'active'>, string> = {
  left: '你已退出群聊',
  removed: '你已被移出群聊',
  dissolved: '群聊已解散',
};

export function presentChatSummary(chat: ChatEntry, group: GroupSource | undefined, input: PresentInput): ChatSummary {
  const status = group?.status ?? 'active';
  const last = chat.lastMessage;
  return {
    chatId: chat.groupId,
    name: groupName(group, chat),
    avatarUrls: [],
    lastPreview: status !== 'active' ? LEFT_NOTICE[status] : last ? previewOf(last, input, group) : '',
    lastAt: Math.max(last?.timestamp ?? 0, chat.lastActivity),
    unread: chat.unread,
    mentioned: chat.mentionUnread > 0,
    muted: chat.muted,
    pinned: chat.pinned,
    left: status !== 'active',
  };
}

export function presentChatView(chat: ChatEntry | undefined, group: GroupSource, input: PresentInput): ChatView {
  const state = group.state;
  const members = state ? presentMembers(state, input.names, input.selfId, group.myNickname || input.myNickname) : [];
  const me = meInGroup(state, input.selfId);
  const messages = (input.messages.get(group.groupId) ?? []).map((m) => presentMessage(m, input, group));
  for (const p of input.pending) {
    if (p.groupId !== group.groupId || messages.some((m) => m.messageId === p.messageId)) continue;
    messages.push({
      messageId: p.messageId,
      senderId: input.selfId,
      senderName: group.myNickname || input.myNickname || displayName(input.selfId, input.names),
      senderAvatarUrl: '',
      mine: true,
      sentAt: p.sentAt,
      kind: 'text',
      text: p.text,
      mentionsMe: false,
      recalled: false,
      status: p.failed ? 'failed' : 'sending',
    });
  }
  const below = input.newBelow?.get(group.groupId);
  return {
    chatId: group.groupId,
    name: groupName(group, chat),
    memberCount: state?.members.length ?? 0,
    me,
    left: group.status !== 'active',
    muted: chat?.muted ?? false,
    messages,
    members,
    newBelow: below?.count ?? 0,
    mentionBelow: below?.mention ?? false,
  };
}

export function presentGroupInfo(chat: ChatEntry | undefined, group: GroupSource, input: PresentInput): GroupInfoView | null {
  const state = group.state;
  if (!state) return null;
  return {
    chatId: group.groupId,
    name: group.info?.name || '群聊',
    kind: group.info?.type ?? 'normal',
    announcement: group.info?.announcement ?? '',
    myNickname: group.myNickname || input.myNickname,
    remark: chat?.remark ?? '',
    muted: chat?.muted ?? false,
    pinned: chat?.pinned ?? false,
    joinPolicy: presentJoinPolicy(state.policy.joinPolicy),
    piiMasked: piiCategories(state.policy.piiPolicy),
    permissions: presentPermissions(state.policy),
    members: group.status === 'active' ? presentMembers(state, input.names, input.selfId, group.myNickname || input.myNickname) : [],
    me: meInGroup(state, input.selfId),
    inviteId: group.inviteId,
    joinRequests: (group.joinRequests ?? []).map((r) => ({ requestId: r.requestId, name: r.name.trim() ? r.name.trim().slice(0, 32) : `成员${r.memberId.slice(0, 6)}` })),
  };
}

export function presentMemberDetail(group: GroupSource, memberId: string, input: PresentInput): MemberDetailView | null {
  const state = group.state;
  if (!state) return null;
  const member = presentMembers(state, input.names, input.selfId, group.myNickname || input.myNickname).find((m) => m.memberId === memberId);
  if (!member) return null;
  const record = (input.messages.get(group.groupId) ?? [])
    .filter((m) => m.sender === memberId && m.type !== 'system')
    .slice(-SPEAKING_RECORD_MESSAGES)
    .reverse()
    .map((m) => ({ messageId: m.messageId, sentAt: m.timestamp, preview: messagePreview({ kind: m.type, text: m.text, recalled: false, senderName: '', mine: false }) }));
  return {
    chatId: group.groupId,
    member,
    safetyNumber: input.safetyNumbers?.get(memberId) ?? '',
    recentMessages: record,
    me: meInGroup(state, input.selfId),
  };
}

/** The whole view model. */
export function presentApp(input: PresentInput): AppViewModel {
  const groups = new Map(input.groups.map((g) => [g.groupId, g]));
  const chats = new Map(input.chats.map((c) => [c.groupId, c]));
  const vm: AppViewModel = {
    ready: input.ready,
    problem: input.problem,
    myNickname: input.myNickname,
    chats: input.chats.map((c) => presentChatSummary(c, groups.get(c.groupId), input)),
    chatViews: {},
    groupInfos: {},
    members: {},
    search: input.search,
    alert: input.alert,
  };
  for (const group of input.groups) {
    vm.chatViews[group.groupId] = presentChatView(chats.get(group.groupId), group, input);
    const info = presentGroupInfo(chats.get(group.groupId), group, input);
    if (info) vm.groupInfos[group.groupId] = info;
  }
  for (const key of input.memberPages ?? []) {
    const [groupId, memberId] = key.split('/');
    const group = groupId ? groups.get(groupId) : undefined;
    const detail = group && memberId ? presentMemberDetail(group, memberId, input) : null;
    if (detail) vm.members[key] = detail;
  }
  return vm;
}
