// 群聊列表: pinned chats first, unread badges, muted markers, decrypted previews.
import { SUBSCRIBE_TEMPLATE_IDS } from '../../lib/config';
import { connect, datasetOf, disconnect, pageUrl } from '../../lib/connect';
import { chatListRows, type ChatRow } from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import type { AppViewModel } from '../../lib/view-model';

Component({
  properties: {
    /** From a share card: /pages/chat-list/index?invite=<invite ID>. Nothing else travels in the card. */
    invite: { type: String, value: '' },
  },
  observers: {
    invite(inviteId: string) {
      if (inviteId && inviteId !== this.data.joinedInvite) {
        safeSetData(this, { joinedInvite: inviteId });
        dispatch({ type: 'join-by-invite', inviteId });
      }
    },
  },
  data: {
    joinedInvite: '',
    rows: [] as ChatRow[],
    empty: true,
    ready: false,
    problem: '',
    alertText: '',
    alertChatId: '',
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
      const rows = chatListRows(vm.chats, Date.now());
      const muted = vm.alert ? vm.chats.some((c) => c.chatId === vm.alert!.chatId && c.muted) : false;
      safeSetData(this, {
        rows,
        empty: rows.length === 0,
        ready: vm.ready,
        problem: vm.problem,
        alertText: vm.alert && !muted ? vm.alert.text : '',
        alertChatId: vm.alert && !muted ? vm.alert.chatId : '',
      });
    },
    onTapChat(event: unknown) {
      const chatId = String(datasetOf(event).chatId ?? '');
      if (chatId) wx.navigateTo({ url: pageUrl('chat', { chatId }) });
    },
    onLongPressChat(event: unknown) {
      const chatId = String(datasetOf(event).chatId ?? '');
      const chat = getViewModel().chats.find((c) => c.chatId === chatId);
      if (!chat) return;
      wx.showActionSheet({
        itemList: [chat.pinned ? '取消置顶' : '置顶聊天', chat.muted ? '开启新消息提醒' : '消息免打扰'],
        success: (res) => {
          if (res.tapIndex === 0) dispatch({ type: 'pin', chatId, pinned: !chat.pinned });
          if (res.tapIndex === 1) dispatch({ type: 'mute', chatId, muted: !chat.muted });
        },
      });
    },
    onTapAlert() {
      const chatId = this.data.alertChatId;
      if (chatId) wx.navigateTo({ url: pageUrl('chat', { chatId }) });
    },
    onTapSearch() {
      wx.navigateTo({ url: pageUrl('search', {}) });
    },
    onTapCreate() {
      wx.navigateTo({ url: pageUrl('create-group', {}) });
    },
    /**
     * Opt-in, content-free subscription messages. WeChat only shows the request inside a
     * tap handler, so the page asks here; the SDK hears which templates were accepted.
     */
    onTapSubscribe() {
      if (SUBSCRIBE_TEMPLATE_IDS.length === 0) {
        wx.showToast({ title: '未配置离线提醒', icon: 'none' });
        return;
      }
      wx.requestSubscribeMessage({
        tmplIds: SUBSCRIBE_TEMPLATE_IDS,
        success: (res) => {
          const accepted = SUBSCRIBE_TEMPLATE_IDS.filter((id) => (res as Record<string, unknown>)[id] === 'accept');
          if (accepted.length > 0) dispatch({ type: 'subscribe-notifications', templateIds: accepted });
          wx.showToast({ title: accepted.length > 0 ? '已开启离线提醒' : '未开启离线提醒', icon: 'none' });
        },
      });
    },
  },
});
