// 群聊: bubbles left/right with nickname, time separators, text + emoji and media,
// poll and Q&A, reply, "@" member picker (@所有人 for admins), long-press menu
// (copy / reply / recall), new-message and @-mention notice. Sending is an intent.
import { connect, datasetOf, disconnect, inputValue, pageUrl } from '../../lib/connect';
import {
  bubbleRows,
  cleanPoll,
  EMOJI_PANEL,
  MAX_POLL_OPTIONS,
  MAX_POLL_TEXT_CHARS,
  mentionCandidates,
  messagePreview,
  trailingMention,
  type BubbleRow,
  type MentionCandidate,
} from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import type { AppViewModel, ChatView } from '../../lib/view-model';

/** Longest text a member may type into one message (characters). */
export const MAX_INPUT_CHARS = 4000;
/** Longest voice message WeChat's recorder is asked for (ms). */
export const MAX_VOICE_MS = 60_000;

/** Per page instance: the recorder and audio player (platform objects, never setData). */
const players = new WeakMap<object, { audio?: WechatMiniprogram.InnerAudioContext; recorder?: WechatMiniprogram.RecorderManager }>();
function playerOf(instance: object): { audio?: WechatMiniprogram.InnerAudioContext; recorder?: WechatMiniprogram.RecorderManager } {
  let p = players.get(instance);
  if (!p) players.set(instance, (p = {}));
  return p;
}

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
    /** '' (none), 'poll' or 'qa': the compose form above the input. */
    composeMode: '',
    composeQuestion: '',
    composeOptions: ['', ''] as string[],
    composeProblem: '',
    maxPollText: MAX_POLL_TEXT_CHARS,
    /** The Q&A being answered through the composer. */
    answeringId: '',
    answeringText: '',
    recording: false,
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
      const p = players.get(this);
      if (p?.audio) p.audio.destroy();
      if (p?.recorder && this.data.recording) p.recorder.stop();
      players.delete(this);
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
      if (this.data.answeringId) {
        dispatch({ type: 'answer', chatId: this.data.chatId, messageId: this.data.answeringId, text });
        safeSetData(this, { inputText: '', answeringId: '', answeringText: '', picker: [], emojiOpen: false });
        return;
      }
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
      safeSetData(this, { replyId: '', replyText: '', answeringId: '', answeringText: '' });
    },

    onTapAnswer(event: unknown) {
      const messageId = String(datasetOf(event).messageId ?? '');
      const message = viewOf(this.data.chatId)?.messages.find((m) => m.messageId === messageId);
      if (!message || message.kind !== 'qa' || !this.data.canSend) return;
      safeSetData(this, { answeringId: messageId, answeringText: message.qa ? message.qa.question : message.text, replyId: '', replyText: '' });
    },

    onTapMedia(event: unknown) {
      const messageId = String(datasetOf(event).messageId ?? '');
      const message = viewOf(this.data.chatId)?.messages.find((m) => m.messageId === messageId);
      if (!message || !message.attachment) return;
      const path = message.attachment.localPath;
      if (!path) {
        // Not downloaded yet: the SDK fetches, decrypts and checks it, then fills localPath.
        dispatch({ type: 'open-attachment', chatId: this.data.chatId, messageId });
        return;
      }
      if (message.kind === 'voice') {
        const p = playerOf(this);
        p.audio ??= wx.createInnerAudioContext();
        p.audio.stop();
        p.audio.src = path;
        p.audio.play();
      } else if (message.kind === 'file') {
        wx.openDocument({ filePath: path, showMenu: false });
      } else if (message.kind === 'image') {
        wx.previewImage({ urls: [path], current: path });
      }
      // video: the <video> element plays the local file itself.
    },

    onTapVoice() {
      if (!this.data.canSend) return;
      const p = playerOf(this);
      if (!p.recorder) {
        const recorder = wx.getRecorderManager();
        const chatId = this.data.chatId;
        recorder.onStop((res) => {
          safeSetData(this, { recording: false });
          if (res.tempFilePath && res.duration > 0) {
            dispatch({ type: 'send-media', chatId, media: 'voice', localPath: res.tempFilePath, durationMs: Math.round(res.duration) });
          }
        });
        recorder.onError(() => safeSetData(this, { recording: false }));
        p.recorder = recorder;
      }
      if (this.data.recording) {
        p.recorder.stop();
      } else {
        p.recorder.start({ duration: MAX_VOICE_MS, format: 'aac' });
        safeSetData(this, { recording: true });
      }
    },

    onComposeQuestion(event: unknown) {
      safeSetData(this, { composeQuestion: inputValue(event).slice(0, MAX_POLL_TEXT_CHARS), composeProblem: '' });
    },

    onComposeOption(event: unknown) {
      const index = Number(datasetOf(event).index);
      if (!(index >= 0 && index < this.data.composeOptions.length)) return;
      const options = this.data.composeOptions.slice();
      options[index] = inputValue(event).slice(0, MAX_POLL_TEXT_CHARS);
      safeSetData(this, { composeOptions: options, composeProblem: '' });
    },

    onAddOption() {
      if (this.data.composeOptions.length >= MAX_POLL_OPTIONS) return;
      safeSetData(this, { composeOptions: [...this.data.composeOptions, ''] });
    },

    onCancelCompose() {
      safeSetData(this, { composeMode: '', composeQuestion: '', composeOptions: ['', ''], composeProblem: '' });
    },

    onSubmitCompose() {
      if (!this.data.canSend) return;
      const chatId = this.data.chatId;
      if (this.data.composeMode === 'qa') {
        const question = this.data.composeQuestion.trim();
        if (!question) {
          safeSetData(this, { composeProblem: '请输入问题' });
          return;
        }
        dispatch({ type: 'ask-question', chatId, question });
      } else if (this.data.composeMode === 'poll') {
        const poll = cleanPoll(this.data.composeQuestion, this.data.composeOptions);
        if ('problem' in poll) {
          safeSetData(this, { composeProblem: poll.problem });
          return;
        }
        dispatch({ type: 'create-poll', chatId, question: poll.question, options: poll.options });
      } else {
        return;
      }
      safeSetData(this, { composeMode: '', composeQuestion: '', composeOptions: ['', ''], composeProblem: '' });
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
      const items = ['图片', '视频', '文件', '投票', '问答'];
      wx.showActionSheet({
        itemList: items,
        success: (res) => {
          const item = items[res.tapIndex];
          if (item === '投票' || item === '问答') {
            safeSetData(this, { composeMode: item === '投票' ? 'poll' : 'qa', composeQuestion: '', composeOptions: ['', ''], composeProblem: '', emojiOpen: false });
            return;
          }
          if (item === '文件') {
            wx.chooseMessageFile({
              count: 1,
              type: 'file',
              success: (r) => {
                const file = r.tempFiles[0];
                if (file) dispatch({ type: 'send-media', chatId, media: 'file', localPath: file.path, durationMs: 0 });
              },
            });
            return;
          }
          const media = item === '图片' ? 'image' : 'video';
          wx.chooseMedia({
            count: 1,
            mediaType: [media],
            success: (r) => {
              const file = r.tempFiles[0];
              if (file) dispatch({ type: 'send-media', chatId, media, localPath: file.tempFilePath, durationMs: Math.round((file.duration ?? 0) * 1000) });
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
