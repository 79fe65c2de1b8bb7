// 聊天信息: avatar grid with + / -, name, announcement, my nickname in the group, remark,
// mute, pin, PII policy, permissions, join policy, invite by share card (invite ID only),
// leave / dissolve. Every change is an intent; the SDK commits it.
import { connect, datasetOf, disconnect, inputValue, pageUrl } from '../../lib/connect';
import { ROLE_LABELS } from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import type { AppViewModel, JoinPolicy, MemberSummary } from '../../lib/view-model';

const JOIN_POLICIES: JoinPolicy[] = ['open-link', 'admin-approval', 'invite-only'];
const JOIN_POLICY_LABELS = ['凭链接直接加入', '需管理员审批', '仅限邀请'];
const WHO_LABELS = { admins: '仅群主和管理员', everyone: '所有成员' };
/** Longest group name / nickname / remark (characters), as WeChat allows. */
const MAX_NAME_CHARS = 30;
const MAX_ANNOUNCEMENT_CHARS = 1000;
/** The personal remark (the client's chat list keeps up to 64 characters). */
const MAX_REMARK_CHARS = 64;

interface GridCell {
  memberId: string;
  nickname: string;
  avatarText: string;
  roleLabel: string;
}

function gridCells(members: MemberSummary[]): GridCell[] {
  return members.map((m) => ({
    memberId: m.memberId,
    nickname: m.nickname,
    avatarText: Array.from(m.nickname)[0] ?? '?',
    roleLabel: m.role === 'member' ? '' : ROLE_LABELS[m.role],
  }));
}

Component({
  properties: {
    chatId: { type: String, value: '' },
  },
  data: {
    found: false,
    name: '',
    kindLabel: '',
    announcement: '',
    myNickname: '',
    remark: '',
    muted: false,
    pinned: false,
    allMuted: false,
    cells: [] as GridCell[],
    memberCount: 0,
    canInvite: false,
    canKick: false,
    canEdit: false,
    isOwner: false,
    isAdmin: false,
    joinPolicyIndex: 0,
    joinPolicyLabels: JOIN_POLICY_LABELS,
    piiText: '',
    inviteText: '',
    editText: '',
    mediaText: '',
    inviteId: '',
    joinRequests: [] as { requestId: number; name: string }[],
  },
  observers: {
    chatId() {
      this.render(getViewModel());
    },
  },
  lifetimes: {
    attached() {
      connect(this, (vm) => this.render(vm));
    },
    detached() {
      disconnect(this);
    },
  },
  methods: {
    render(vm: AppViewModel) {
      const info = vm.groupInfos[this.data.chatId];
      if (!info) {
        safeSetData(this, { found: false });
        return;
      }
      const isAdmin = info.me.role !== 'member';
      const p = info.permissions;
      safeSetData(this, {
        found: true,
        name: info.name,
        kindLabel: info.kind === 'private' ? '私密群' : '普通群',
        announcement: info.announcement,
        myNickname: info.myNickname,
        remark: info.remark,
        muted: info.muted,
        pinned: info.pinned,
        allMuted: p.allMuted,
        cells: gridCells(info.members),
        memberCount: info.members.length,
        canInvite: isAdmin || p.whoMayInvite === 'everyone',
        canKick: isAdmin,
        canEdit: isAdmin || p.whoMayEditInfo === 'everyone',
        isOwner: info.me.role === 'owner',
        isAdmin,
        joinPolicyIndex: Math.max(0, JOIN_POLICIES.indexOf(info.joinPolicy)),
        piiText: info.piiMasked.length ? info.piiMasked.join('、') : '未开启',
        inviteText: WHO_LABELS[p.whoMayInvite],
        editText: WHO_LABELS[p.whoMayEditInfo],
        mediaText: WHO_LABELS[p.whoMaySendMedia],
        inviteId: info.inviteId,
        joinRequests: isAdmin ? info.joinRequests.map((r) => ({ requestId: r.requestId, name: r.name })) : [],
      });
    },
    onTapApprove(event: unknown) {
      const requestId = Number(datasetOf(event).requestId);
      if (Number.isSafeInteger(requestId)) dispatch({ type: 'approve-join', chatId: this.data.chatId, requestId });
    },
    onTapDeny(event: unknown) {
      const requestId = Number(datasetOf(event).requestId);
      if (Number.isSafeInteger(requestId)) dispatch({ type: 'deny-join', chatId: this.data.chatId, requestId });
    },
    onTapMember(event: unknown) {
      const memberId = String(datasetOf(event).memberId ?? '');
      if (memberId) wx.navigateTo({ url: pageUrl('member', { chatId: this.data.chatId, memberId }) });
    },
    onTapAdd() {
      dispatch({ type: 'invite', chatId: this.data.chatId });
    },
    onTapRemove() {
      // Removing is done per member, with a confirmation, on the member page.
      wx.showToast({ title: '点击成员头像移出群聊', icon: 'none' });
    },
    onConfirmName(event: unknown) {
      const name = inputValue(event).trim().slice(0, MAX_NAME_CHARS);
      if (name && name !== this.data.name) dispatch({ type: 'set-group-name', chatId: this.data.chatId, name });
    },
    onConfirmAnnouncement(event: unknown) {
      const text = inputValue(event).slice(0, MAX_ANNOUNCEMENT_CHARS);
      if (text !== this.data.announcement) dispatch({ type: 'set-announcement', chatId: this.data.chatId, text });
    },
    onConfirmNickname(event: unknown) {
      const nickname = inputValue(event).trim().slice(0, MAX_NAME_CHARS);
      if (nickname !== this.data.myNickname) dispatch({ type: 'set-my-nickname', chatId: this.data.chatId, nickname });
    },
    onConfirmRemark(event: unknown) {
      const remark = inputValue(event).trim().slice(0, MAX_REMARK_CHARS);
      if (remark !== this.data.remark) dispatch({ type: 'set-remark', chatId: this.data.chatId, remark });
    },
    onToggleMute(event: unknown) {
      dispatch({ type: 'mute', chatId: this.data.chatId, muted: Boolean((event as { detail?: { value?: boolean } }).detail?.value) });
    },
    onTogglePin(event: unknown) {
      dispatch({ type: 'pin', chatId: this.data.chatId, pinned: Boolean((event as { detail?: { value?: boolean } }).detail?.value) });
    },
    onToggleMuteAll(event: unknown) {
      dispatch({ type: 'mute-all', chatId: this.data.chatId, muted: Boolean((event as { detail?: { value?: boolean } }).detail?.value) });
    },
    onChangeJoinPolicy(event: unknown) {
      const policy = JOIN_POLICIES[Number((event as { detail?: { value?: unknown } }).detail?.value)];
      if (policy) dispatch({ type: 'set-join-policy', chatId: this.data.chatId, policy });
    },
    /** The share card carries only the invite ID; the joiner's client fetches the rest. */
    onShareAppMessage() {
      return {
        title: '邀请你加入加密群聊',
        path: this.data.inviteId ? `/pages/chat-list/index?invite=${encodeURIComponent(this.data.inviteId)}` : '/pages/chat-list/index',
      };
    },
    onTapLeave() {
      const chatId = this.data.chatId;
      if (this.data.isOwner) {
        wx.showModal({ title: '无法退出', content: '群主需先转让群主身份，或解散群聊', showCancel: false });
        return;
      }
      wx.showModal({
        title: '退出群聊',
        content: '退出后将不再接收此群聊消息',
        confirmText: '退出',
        success: (res) => {
          if (res.confirm) dispatch({ type: 'leave', chatId });
        },
      });
    },
    onTapDissolve() {
      const chatId = this.data.chatId;
      wx.showModal({
        title: '解散群聊',
        content: '解散后所有成员将无法再收发此群消息',
        confirmText: '解散',
        success: (res) => {
          if (res.confirm) dispatch({ type: 'dissolve', chatId });
        },
      });
    },
  },
});
