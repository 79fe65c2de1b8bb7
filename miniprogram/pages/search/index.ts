// 搜索: keyword search over the history kept on this device (the SDK searches; Chinese
// works without word breaks). Results highlight the hits and open the chat.
import { connect, datasetOf, disconnect, inputValue, pageUrl } from '../../lib/connect';
import { formatListTime } from '../../lib/present';
import { dispatch, safeSetData } from '../../lib/store';
import type { AppViewModel, SearchResultView } from '../../lib/view-model';

const MAX_QUERY_CHARS = 100;

interface ResultRow {
  key: string;
  chatId: string;
  chatName: string;
  senderName: string;
  time: string;
  parts: SearchResultView['parts'];
}

Component({
  properties: {
    /** Restrict to one chat (from the chat page), or '' for all chats. */
    chatId: { type: String, value: '' },
  },
  data: {
    query: '',
    rows: [] as ResultRow[],
    searching: false,
    noResults: false,
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
      const s = vm.search;
      const now = Date.now();
      const current = s.query === this.data.query;
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
      safeSetData(this, { rows, searching: current && s.searching, noResults: current && !s.searching && s.query !== '' && rows.length === 0 });
    },
    onInput(event: unknown) {
      safeSetData(this, { query: inputValue(event).slice(0, MAX_QUERY_CHARS) });
    },
    onConfirm() {
      const query = this.data.query.trim();
      if (query) dispatch({ type: 'search', query, chatId: this.data.chatId || null });
    },
    onTapResult(event: unknown) {
      const chatId = String(datasetOf(event).chatId ?? '');
      if (chatId) wx.navigateTo({ url: pageUrl('chat', { chatId }) });
    },
  },
});
