// 搜索: keyword search over the history kept on this device (the SDK searches; Chinese
// works without word breaks), narrowed by member (发言记录), message type and date.
// Results highlight the hits and open the chat.
import { connect, datasetOf, disconnect, inputValue, pageUrl } from '../../lib/connect';
import { formatListTime } from '../../lib/present';
import { dispatch, getViewModel, safeSetData } from '../../lib/store';
import type { AppViewModel, MessageKind, SearchResultView } from '../../lib/view-model';

const MAX_QUERY_CHARS = 100;
const KIND_LABELS = ['全部类型', '文字', '图片', '视频', '语音', '文件', '投票', '问答'];
const KINDS: (MessageKind | null)[] = [null, 'text', 'image', 'video', 'voice', 'file', 'poll', 'qa'];

interface ResultRow {
  key: string;
  chatId: string;
  chatName: string;
  senderName: string;
  time: string;
  parts: SearchResultView['parts'];
}

/** 'YYYY-MM-DD' from the date picker to local midnight in ms, or null. */
export function dayStart(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const ms = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isFinite(ms) ? ms : null;
}

Component({
  properties: {
    /** Restrict to one chat (from the chat page), or '' for all chats. */
    chatId: { type: String, value: '' },
    /** Preselect a member (the speaking record from the member page). */
    memberId: { type: String, value: '' },
  },
  data: {
    query: '',
    rows: [] as ResultRow[],
    searching: false,
    noResults: false,
    kindLabels: KIND_LABELS,
    kindIndex: 0,
    memberLabels: ['全部成员'] as string[],
    memberIds: [''] as string[],
    memberIndex: 0,
    sinceDay: '',
    submitted: false,
    submittedQuery: '',
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
      const members = this.data.chatId ? (vm.chatViews[this.data.chatId]?.members ?? []) : [];
      const memberIds = [''].concat(members.map((m) => m.memberId));
      const preselected = this.data.memberId ? memberIds.indexOf(this.data.memberId) : -1;
      const s = vm.search;
      const now = Date.now();
      const current = this.data.submitted && s.query === this.data.submittedQuery;
      const rows = current
        ? s.results.map((r) => ({
            key: `${r.chatId}/${r.messageId}`,
            chatId: r.chatId,
            chatName: r.chatName,
            senderName: r.senderName,
            time: formatListTime(r.sentAt, now),
            parts: r.parts.map((p) => ({ text: p.text, hit: p.hit })),
          }))
        : [];
      safeSetData(this, {
        rows,
        searching: current && s.searching,
        noResults: current && !s.searching && rows.length === 0,
        memberLabels: ['全部成员'].concat(members.map((m) => m.nickname)),
        memberIds,
        memberIndex: preselected > 0 && this.data.memberIndex === 0 ? preselected : Math.min(this.data.memberIndex, memberIds.length - 1),
      });
    },
    onInput(event: unknown) {
      safeSetData(this, { query: inputValue(event).slice(0, MAX_QUERY_CHARS) });
    },
    onChangeKind(event: unknown) {
      const index = Number((event as { detail?: { value?: unknown } }).detail?.value);
      safeSetData(this, { kindIndex: index >= 0 && index < KINDS.length ? index : 0 });
    },
    onChangeMember(event: unknown) {
      const index = Number((event as { detail?: { value?: unknown } }).detail?.value);
      safeSetData(this, { memberIndex: index >= 0 && index < this.data.memberIds.length ? index : 0 });
    },
    onChangeDay(event: unknown) {
      safeSetData(this, { sinceDay: inputValue(event) });
    },
    onClearFilters() {
      safeSetData(this, { kindIndex: 0, memberIndex: 0, sinceDay: '' });
    },
    onConfirm() {
      const query = this.data.query.trim();
      const kind = KINDS[this.data.kindIndex] ?? null;
      const sender = this.data.memberIds[this.data.memberIndex] ?? '';
      const since = dayStart(this.data.sinceDay);
      if (!query && !kind && !sender && since === null) return;
      safeSetData(this, { submitted: true, submittedQuery: query });
      dispatch({
        type: 'search',
        query,
        chatId: this.data.chatId || null,
        senders: sender ? [sender] : [],
        kinds: kind ? [kind] : [],
        since,
      });
      this.render(getViewModel());
    },
    onTapResult(event: unknown) {
      const chatId = String(datasetOf(event).chatId ?? '');
      if (chatId) wx.navigateTo({ url: pageUrl('chat', { chatId }) });
    },
  },
});
