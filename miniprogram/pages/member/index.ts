// 成员信息: nickname, role, safety number, speaking record (发言记录); for admins:
// mute / unmute and remove from the group; for the owner: make or unmake an admin.
import { connect, disconnect, pageUrl } from '../../lib/connect';
import { formatListTime, ROLE_LABELS } from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import { memberKey, type AppViewModel } from '../../lib/view-model';

interface RecordRow {
  messageId: string;
  time: string;
  preview: string;
}

Component({
  properties: {
    chatId: { type: String, value: '' },
    memberId: { type: String, value: '' },
  },
  data: {
    found: false,
    nickname: '',
    avatarText: '',
    roleLabel: '',
    muted: false,
    safetyNumber: '',
    records: [] as RecordRow[],
    isSelf: false,
    canManage: false,
    canSetRole: false,
    isAdmin: false,
  },
  observers: {
    'chatId, memberId'(chatId: string, memberId: string) {
      if (chatId && memberId) dispatch({ type: 'view-member', chatId, memberId });
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
      const detail = vm.members[memberKey(this.data.chatId, this.data.memberId)];
      if (!detail) {
        safeSetData(this, { found: false });
        return;
      }
      const m = detail.member;
      const isSelf = m.memberId === detail.me.memberId;
      const outranks = detail.me.role === 'owner' || (detail.me.role === 'admin' && m.role === 'member');
      const now = Date.now();
      safeSetData(this, {
        found: true,
        nickname: m.nickname,
        avatarText: Array.from(m.nickname)[0] ?? '?',
        roleLabel: ROLE_LABELS[m.role],
        muted: m.muted,
        safetyNumber: detail.safetyNumber,
        records: detail.recentMessages.map((r) => ({ messageId: r.messageId, time: formatListTime(r.sentAt, now), preview: r.preview })),
        isSelf,
        canManage: !isSelf && outranks,
        canSetRole: !isSelf && detail.me.role === 'owner',
        isAdmin: m.role === 'admin',
      });
    },
    /** The whole speaking record: the search page narrowed to this member. */
    onTapAllRecords() {
      wx.navigateTo({ url: pageUrl('search', { chatId: this.data.chatId, memberId: this.data.memberId }) });
    },
    onTapMute() {
      dispatch({ type: 'mute-member', chatId: this.data.chatId, memberId: this.data.memberId, muted: !this.data.muted });
    },
    onTapRole() {
      dispatch({ type: 'set-role', chatId: this.data.chatId, memberId: this.data.memberId, role: this.data.isAdmin ? 'member' : 'admin' });
    },
    onTapTransfer() {
      const { chatId, memberId, nickname } = this.data;
      wx.showModal({
        title: '转让群主',
        content: `确定将群主转让给“${nickname}”？转让后你将成为普通成员。`,
        confirmText: '转让',
        success: (res) => {
          if (res.confirm) dispatch({ type: 'transfer-ownership', chatId, memberId });
        },
      });
    },
    onTapKick() {
      const { chatId, memberId, nickname } = this.data;
      wx.showModal({
        title: '移出群聊',
        content: `确定将“${nickname}”移出群聊？移出后对方将无法读取之后的消息。`,
        confirmText: '移出',
        success: (res) => {
          if (res.confirm) dispatch({ type: 'kick', chatId, memberId });
        },
      });
    },
  },
});
