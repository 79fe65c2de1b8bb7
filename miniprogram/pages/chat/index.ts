// 群聊: bubbles left/right with nickname, time separators, text + emoji and media,
// poll and Q&A, reply, "@" member picker (@所有人 for admins), long-press menu
// (copy / reply / recall), new-message and @-mention notice. Sending is an intent.
import { connect, datasetOf, disconnect, inputValue, pageUrl } from '../../lib/connect';
import { bubbleRows, EMOJI_PANEL, mentionCandidates, messagePreview, trailingMention, type BubbleRow, type MentionCandidate } from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import type { AppViewModel, ChatView } from '../../lib/view-model';

/** Longest text a member may type into one message (characters). */
export const MAX_INPUT_CHARS = 4000;

function viewOf(chatId: string, vm: AppViewModel = getViewModel()): ChatView | undefined {
  return vm.chatViews[chatId];
}

Component({
  properties: {
    /** From the page query: /pages/chat/index?chatId=... */
    chatId: { type: String, value: '' },
  },
  data: {
    found: false,
    title: '',
    rows: [] as BubbleRow[],
    left: false,
    canSend: false,
    sendBlockedText: '',
    inputText: '',
    replyId: '',
    replyText: '',
    mentions: [] as string[],
    mentionAll: false,
    picker: [] as MentionCandidate[],
    newBelow: 0,
    mentionBelow: false,
    scrollTo: '',
    emojiOpen: false,
    emoji: EMOJI_PANEL,
  },
  observers: {
    chatId(chatId: string) {
      if (chatId) {
        this.render(getViewModel());
        dispatch({ type: 'mark-read', chatId });
      }
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
      const view = viewOf(this.data.chatId, vm);
      if (!view) {
        safeSetData(this, { found: false, title: '', rows: [], canSend: false });
        return;
      }
      const rows = bubbleRows(view.messages, Date.now());
      const blocked = view.left ? '你已不在此群聊中' : view.me.mutedBySomeone ? '你已被禁言' : '';
      const title = `${view.name}(${view.memberCount})`;
      safeSetData(this, {
        found: true,
        title,
        rows,
        left: view.left,
        canSend: !blocked,
        sendBlockedText: blocked,
        newBelow: view.newBelow,
        mentionBelow: view.mentionBelow,
      });
      wx.setNavigationBarTitle({ title });
    },

    onInput(event: unknown) {
      const text = inputValue(event).slice(0, MAX_INPUT_CHARS);
      const view = viewOf(this.data.chatId);
      const query = trailingMention(text);
      const picker = view && query !== null ? mentionCandidates(view.members, view.me.role, view.me.memberId, query) : [];
      safeSetData(this, { inputText: text, picker });
    },

    onPickMention(event: unknown) {
      const index = Number(datasetOf(event).index);
      const pick = this.data.picker[index];
      if (!pick) return;
      const text = this.data.inputText.replace(/@[^\s@]*$/, `@${pick.label} `);
      safeSetData(this, {
        inputText: text,
        picker: [],
        mentions: pick.all || this.data.mentions.includes(pick.memberId) ? this.data.mentions : [...this.data.mentions, pick.memberId],
        mentionAll: this.data.mentionAll || pick.all,
      });
    },

    onTapSend() {
      const text = this.data.inputText.trim();
      if (!text || !this.data.canSend) return;
      dispatch({
        type: 'send-text',
        chatId: this.data.chatId,
        text,
        replyTo: this.data.replyId || null,
        mentions: this.data.mentions,
        mentionAll: this.data.mentionAll,
      });
      safeSetData(this, { inputText: '', replyId: '', replyText: '', mentions: [], mentionAll: false, picker: [], emojiOpen: false });
    },

    onLongPressBubble(event: unknown) {
      const messageId = String(datasetOf(event).messageId ?? '');
      const message = viewOf(this.data.chatId)?.messages.find((m) => m.messageId === messageId);
      if (!message || message.recalled) return;
      const items = ['复制', '回复'];
      if (message.mine && message.status === 'sent') items.push('撤回');
      wx.showActionSheet({
        itemList: items,
        success: (res) => {
          const item = items[res.tapIndex];
          if (item === '复制') wx.setClipboardData({ data: message.text });
          if (item === '回复') safeSetData(this, { replyId: messageId, replyText: `${message.senderName}: ${messagePreview(message)}` });
          if (item === '撤回') dispatch({ type: 'recall', chatId: this.data.chatId, messageId });
        },
      });
    },

    onCancelReply() {
      safeSetData(this, { replyId: '', replyText: '' });
    },

    onTapVote(event: unknown) {
      const data = datasetOf(event);
      const messageId = String(data.messageId ?? '');
      const optionId = String(data.optionId ?? '');
      if (messageId && optionId) dispatch({ type: 'vote', chatId: this.data.chatId, messageId, optionId });
    },

    onTapAttach() {
      if (!this.data.canSend) return;
      const chatId = this.data.chatId;
      wx.showActionSheet({
        itemList: ['图片', '视频', '文件'],
        success: (res) => {
          if (res.tapIndex === 2) {
            wx.chooseMessageFile({
              count: 1,
              type: 'file',
              success: (r) => {
                const file = r.tempFiles[0];
                if (file) dispatch({ type: 'send-media', chatId, media: 'file', localPath: file.path });
              },
            });
            return;
          }
          const media = res.tapIndex === 0 ? 'image' : 'video';
          wx.chooseMedia({
            count: 1,
            mediaType: [media],
            success: (r) => {
              const file = r.tempFiles[0];
              if (file) dispatch({ type: 'send-media', chatId, media, localPath: file.tempFilePath });
            },
          });
        },
      });
    },

    onToggleEmoji() {
      safeSetData(this, { emojiOpen: !this.data.emojiOpen });
    },

    onPickEmoji(event: unknown) {
      const emoji = EMOJI_PANEL[Number(datasetOf(event).index)];
      if (!emoji || this.data.inputText.length + emoji.length > MAX_INPUT_CHARS) return;
      safeSetData(this, { inputText: this.data.inputText + emoji });
    },

    onTapNewBelow() {
      const last = this.data.rows[this.data.rows.length - 1];
      safeSetData(this, { scrollTo: last ? last.key : '', newBelow: 0, mentionBelow: false });
      dispatch({ type: 'mark-read', chatId: this.data.chatId });
    },

    onTapInfo() {
      wx.navigateTo({ url: pageUrl('group-info', { chatId: this.data.chatId }) });
    },
  },
});
