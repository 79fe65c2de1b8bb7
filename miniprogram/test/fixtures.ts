// View models for page tests: plain data, as the SDK will fill it.
import type { AppViewModel, ChatSummary, ChatView, GroupInfoView, MemberDetailView, MemberSummary, MessageView } from '../lib/view-model';

export const NOW = Date.UTC(2026, 10, 26, 8, 0, 0);
const MINUTE = 60_000;

export function chatSummary(over: Partial<ChatSummary> & { chatId: string }): ChatSummary {
  return { name: over.chatId, avatarUrls: [], lastPreview: '', lastAt: NOW, unread: 0, mentioned: false, muted: false, pinned: false, left: false, ...over };
}

export const MEMBERS: MemberSummary[] = [
  { memberId: 'm-owner', nickname: '王老师', avatarUrl: '', role: 'owner', muted: false },
  { memberId: 'm-admin', nickname: '李律师', avatarUrl: '', role: 'admin', muted: false },
  { memberId: 'm-zhang', nickname: '张三', avatarUrl: '', role: 'member', muted: false },
  { memberId: 'm-li', nickname: '李四', avatarUrl: '', role: 'member', muted: true },
];

export function message(over: Partial<MessageView> & { messageId: string }): MessageView {
  return {
    senderId: 'm-zhang',
    senderName: '张三',
    senderAvatarUrl: '',
    mine: false,
    sentAt: NOW,
    kind: 'text',
    text: '',
    mentionsMe: false,
    recalled: false,
    status: 'sent',
    ...over,
  };
}

export function chatView(me: MemberSummary, over: Partial<ChatView> = {}): ChatView {
  return {
    chatId: 'g-parents',
    name: '三年二班家长群',
    memberCount: MEMBERS.length,
    me: { memberId: me.memberId, role: me.role, mutedBySomeone: me.muted },
    left: false,
    muted: false,
    members: MEMBERS,
    newBelow: 0,
    mentionBelow: false,
    messages: [
      message({ messageId: 'x1', sentAt: NOW - 60 * MINUTE, text: '大家好 😀' }),
      message({ messageId: 'x2', sentAt: NOW - 59 * MINUTE, senderId: me.memberId, senderName: me.nickname, mine: true, text: '收到' }),
      message({ messageId: 'x3', sentAt: NOW - 10 * MINUTE, kind: 'system', text: '"李四" 被移出群聊' }),
      message({ messageId: 'x4', sentAt: NOW - 9 * MINUTE, senderName: '李律师', senderId: 'm-admin', recalled: true }),
      message({ messageId: 'x5', sentAt: NOW - 8 * MINUTE, kind: 'file', attachment: { localPath: '', name: '合同.pdf', sizeBytes: 204800, durationSec: 0 } }),
      message({
        messageId: 'x6',
        sentAt: NOW - 7 * MINUTE,
        kind: 'poll',
        poll: { question: '周六开会？', closed: false, options: [{ optionId: 'o1', text: '可以', votes: 2, mine: false }, { optionId: 'o2', text: '不行', votes: 1, mine: true }] },
      }),
      message({ messageId: 'x7', sentAt: NOW - 6 * MINUTE, text: '@王老师 请看一下', mentionsMe: true, replyTo: { messageId: 'x1', senderName: '张三', preview: '大家好 😀' } }),
      message({ messageId: 'x8', sentAt: NOW - 5 * MINUTE, kind: 'image', attachment: { localPath: 'wxfile://tmp/photo.jpg', name: '', sizeBytes: 1000, durationSec: 0 } }),
      message({ messageId: 'x9', sentAt: NOW - 4 * MINUTE, kind: 'qa', qa: { question: '几点集合？', answers: [{ senderName: '李律师', text: '八点' }] } }),
    ],
    ...over,
  };
}

export function groupInfo(me: MemberSummary, over: Partial<GroupInfoView> = {}): GroupInfoView {
  return {
    chatId: 'g-parents',
    name: '三年二班家长群',
    kind: 'private',
    announcement: '周六家长会',
    myNickname: me.nickname,
    remark: '',
    muted: false,
    pinned: true,
    joinPolicy: 'admin-approval',
    piiMasked: ['手机号', '身份证号'],
    permissions: { whoMayInvite: 'admins', whoMayEditInfo: 'admins', whoMaySendMedia: 'everyone', allMuted: false },
    members: MEMBERS,
    me: { memberId: me.memberId, role: me.role, mutedBySomeone: false },
    inviteId: 'inv_7Yq2',
    joinRequests: [],
    ...over,
  };
}

export function memberDetail(me: MemberSummary, member: MemberSummary): MemberDetailView {
  return {
    chatId: 'g-parents',
    member,
    safetyNumber: '12345 67890 13579 24680 11223 34455',
    recentMessages: [{ messageId: 'x7', sentAt: NOW - 6 * MINUTE, preview: '@王老师 请看一下' }],
    me: { memberId: me.memberId, role: me.role, mutedBySomeone: false },
  };
}

export function viewModel(over: Partial<AppViewModel> = {}): AppViewModel {
  return {
    ready: true,
    problem: '',
    myNickname: '王老师',
    chats: [],
    chatViews: {},
    groupInfos: {},
    members: {},
    search: { query: '', results: [], searching: false },
    alert: null,
    ...over,
  };
}
