// The mini program's runtime: the client SDK (ChatClient + messaging) on a Platform, turned
// into the view model pages render, and page intents turned into SDK calls.
//
//   const rt = await startAppRuntime({ platform, primitives, store, relayUrl, files, publish: setViewModel });
//   onIntent((i) => void rt.perform(i));
//
// Every SDK event schedules one re-presentation (coalesced): the runtime reads the SDK's
// state (groups, chat list, history pages, poll and Q&A state), present-sdk.ts maps it to
// plain data, and `publish` hands it to the store (which checks it is plain before any
// setData). Pages never see a key, a byte array or a BigInt. Errors of user actions become
// a short Chinese `problem`; their messages never carry content.
import type { Primitives } from '../../crypto/src/primitives/types';
import type { PollState, PollTally } from '../../client/src/content/poll';
import type { QuestionState } from '../../client/src/content/qa';
import type { StoredMessage } from '../../client/src/history/types';
import type { Platform } from '../../client/src/net/types';
import type { ChatClient, ChatClientOptions } from '../../client/src/sdk/chat-client';
import type { Messaging } from '../../client/src/sdk/messaging';
import type { LocalStore } from '../../client/src/store/types';
import type { Intent } from '../lib/intents';
import type { AppViewModel, JoinPolicy, MessageKind } from '../lib/view-model';
// SDK values come through sdk-entry only: in lib/bridge.js that import is `require('./sdk.js')`.
import { bytesToHex, createChatClient, createMessaging, isE2eeError } from '../sdk-entry';
import { CHAT_VIEW_MESSAGES, presentApp, type GroupSource, type PendingSend, type PresentInput } from './present-sdk';

/** Invite links made from the group-info page: valid this long, for this many join requests. */
export const INVITE_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const INVITE_LINK_MAX_USES = 50;
/** Shortest time between two view models published for SDK events (ms): about six frames. */
export const MIN_PUBLISH_INTERVAL_MS = 100;
/** Search results put into the view model. */
export const SEARCH_RESULTS = 50;

/** Local files: reading what the user picked, keeping decrypted attachments. */
export interface RuntimeFiles {
  /** Bytes of a file the user picked (a wx temp path). */
  read(path: string): Promise<Uint8Array>;
  /** Writes a decrypted attachment into user files; answers its local path. */
  write(name: string, bytes: Uint8Array): Promise<string>;
}

export interface AppRuntimeOptions {
  platform: Platform;
  primitives: Primitives;
  store: LocalStore;
  relayUrl: string;
  wsUrl?: string;
  files: RuntimeFiles;
  /** Receives every new view model (the mini program passes lib/store's setViewModel). */
  publish(vm: AppViewModel): void;
  now?: () => number;
  /** Passed through to createChatClient (tests shorten timers). */
  engine?: ChatClientOptions['engine'];
  connection?: ChatClientOptions['connection'];
  /** Start connecting at once (default true). */
  connect?: boolean;
}

export interface AppRuntime {
  readonly client: ChatClient;
  readonly messaging: Messaging;
  /** Performs one page intent; resolves when the SDK call settled (failures become `problem`). */
  perform(intent: Intent): Promise<void>;
  /** Re-reads the SDK state and publishes a view model now. */
  refresh(): Promise<AppViewModel>;
  /** The last published view model. */
  current(): AppViewModel;
  close(): Promise<void>;
}

const JOIN_POLICY_OF: Record<JoinPolicy, 'open' | 'approval' | 'invite-only'> = {
  'open-link': 'open',
  'admin-approval': 'approval',
  'invite-only': 'invite-only',
};

/** A user-facing sentence for a failed action (never the error's own text: it may name IDs). */
export function problemOf(error: unknown): string {
  const code = isE2eeError(error) ? error.code : '';
  if (code === 'E2E_ERR_SDK_MUTED') return '你已被禁言';
  if (code === 'E2E_ERR_SDK_FORBIDDEN' || code === 'E2E_ERR_RELAY_FORBIDDEN') return '没有权限执行此操作';
  if (code === 'E2E_ERR_SDK_NOT_ACTIVE' || code === 'E2E_ERR_NOT_A_MEMBER') return '你已不在此群聊中';
  if (code === 'E2E_ERR_OWNER_CANNOT_LEAVE') return '群主需先转让群主身份才能退出';
  if (code === 'E2E_ERR_SDK_BAD_LINK' || code === 'E2E_ERR_SDK_JOIN_REFUSED') return '邀请已失效或无效';
  if (code.startsWith('E2E_ERR_NET_')) return '网络连接失败，请稍后重试';
  if (code === 'E2E_ERR_ATTACHMENT_TOO_LARGE' || code === 'E2E_ERR_CONTENT_TOO_LARGE') return '文件过大';
  return '操作失败，请稍后重试';
}

const MEDIA_MIME: Record<'image' | 'video' | 'voice' | 'file', string> = { image: 'image/jpeg', video: 'video/mp4', voice: 'audio/aac', file: '' };

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return (parts[parts.length - 1] ?? '').slice(0, 100);
}

export async function startAppRuntime(opts: AppRuntimeOptions): Promise<AppRuntime> {
  const now = opts.now ?? (() => opts.platform.now());
  const client = await createChatClient({
    platform: opts.platform,
    primitives: opts.primitives,
    store: opts.store,
    relayUrl: opts.relayUrl,
    ...(opts.wsUrl ? { wsUrl: opts.wsUrl } : {}),
    now,
    ...(opts.engine ? { engine: opts.engine } : {}),
    ...(opts.connection ? { connection: opts.connection } : {}),
  });
  const messaging = await createMessaging(client.engine, {
    primitives: opts.primitives,
    history: client.history,
    chatList: client.chatList,
    store: opts.store,
    now,
  });
  const selfId = client.memberIdHex;

  // Runtime state that is not the SDK's (view state: what is being sent, what is downloaded).
  const polls = new Map<string, { state: PollState; tally: PollTally; myChoices: readonly number[] }>();
  const questions = new Map<string, QuestionState>();
  const localPaths = new Map<string, string>();
  const pending: PendingSend[] = [];
  const inviteIds = new Map<string, string>();
  const memberPages = new Set<string>();
  const safetyNumbers = new Map<string, string>();
  let alert: AppViewModel['alert'] = null;
  let problem = '';
  let search: AppViewModel['search'] = { query: '', results: [], searching: false };
  let myNickname = '';
  let closed = false;
  let last: AppViewModel = presentApp(emptyInput());

  function emptyInput(): PresentInput {
    return {
      selfId,
      myNickname,
      names: new Map(),
      groups: [],
      chats: [],
      messages: new Map(),
      polls,
      questions,
      localPaths,
      pending,
      alert,
      problem,
      ready: false,
      search,
    };
  }

  const pollState = (state: PollState, tally: PollTally) => ({ state, tally, myChoices: state.votes[selfId] ?? [] });

  /** Loads poll and question state for the messages on screen that the runtime has not seen yet. */
  async function loadContentState(groupId: string, messages: readonly StoredMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.type === 'poll' && !polls.has(m.messageId)) {
        const p = await messaging.poll(groupId, m.messageId);
        if (p) {
          const { tally, ...state } = p;
          polls.set(m.messageId, pollState(state, tally));
        }
      } else if (m.type === 'qa' && !m.replyTo && !questions.has(m.messageId)) {
        const q = await messaging.question(groupId, m.messageId);
        if (q) questions.set(m.messageId, q);
      }
    }
  }

  async function gather(): Promise<PresentInput> {
    const groups: GroupSource[] = [];
    const messages = new Map<string, StoredMessage[]>();
    for (const g of client.groups()) {
      groups.push({
        groupId: g.groupIdHex,
        status: g.status,
        info: g.info ? { name: g.info.name, type: g.info.type, announcement: g.info.announcement } : null,
        state: g.state,
        canSend: g.canSend,
        inviteId: inviteIds.get(g.groupIdHex) ?? '',
        myNickname: '',
        joinRequests:
          g.status === 'active' && g.role && g.role !== 'member'
            ? client.joinRequests(g.groupIdHex).map((r) => ({ requestId: r.requestId, memberId: bytesToHex(r.memberId), name: r.name }))
            : [],
      });
      // Answers to questions are shown under their question, not as bubbles of their own.
      const page = client.history.page(g.groupIdHex, { limit: CHAT_VIEW_MESSAGES }).messages.filter((m) => !(m.type === 'qa' && m.replyTo));
      messages.set(g.groupIdHex, page);
      await loadContentState(g.groupIdHex, page);
    }
    for (const key of memberPages) {
      const memberId = key.split('/')[1] ?? '';
      if (!safetyNumbers.has(memberId) && memberId !== selfId) {
        try {
          safetyNumbers.set(memberId, client.safetyNumber(memberId));
        } catch {
          // not a member of any group of ours (any more): no number to show
        }
      }
    }
    // A group just joined or created may reach the chat list a moment after its status
    // event (the SDK adds it asynchronously): show it at once with an empty entry.
    const chats = client.chatList.list();
    for (const g of groups) {
      if (g.status === 'active' && !chats.some((c) => c.groupId === g.groupId)) {
        chats.push({ groupId: g.groupId, pinned: false, muted: false, remark: '', lastReadSeq: 0, lastActivity: now(), unread: 0, mentionUnread: 0 });
      }
    }
    return {
      selfId,
      myNickname,
      names: new Map(),
      groups,
      chats,
      messages,
      lookup: (g, id) => client.history.get(g, id),
      polls,
      questions,
      localPaths,
      pending,
      memberPages: [...memberPages],
      safetyNumbers,
      alert,
      problem,
      ready: true,
      search,
    };
  }

  // Publications: an explicit refresh() (after a user action) always reads the SDK after
  // the call, in order; SDK events schedule one at most every MIN_PUBLISH_INTERVAL_MS, so
  // a backlog of hundreds of messages is presented a few times, not once per message.
  let chain: Promise<unknown> = Promise.resolve();
  let lastPublish = -Infinity;
  function refresh(): Promise<AppViewModel> {
    const run = chain.then(async () => {
      if (closed) return last;
      last = presentApp(await gather());
      lastPublish = now();
      opts.publish(last);
      return last;
    });
    chain = run.catch(() => undefined);
    return run;
  }
  let scheduled = false;
  function schedule(): void {
    if (scheduled || closed) return;
    scheduled = true;
    const wait = Math.max(0, Math.min(MIN_PUBLISH_INTERVAL_MS, lastPublish + MIN_PUBLISH_INTERVAL_MS - now()));
    opts.platform.setTimer(() => {
      scheduled = false;
      void refresh().catch(() => undefined);
    }, wait);
  }

  for (const event of ['membership', 'groupInfo', 'status', 'unread', 'connection', 'joinRequest'] as const) client.on(event, schedule);
  messaging.on('message', (e) => {
    if (e.alert && e.message.sender !== selfId) {
      const chat = client.chatList.get(e.groupId);
      const name = chat?.remark || client.group(e.groupId)?.info?.name || '群聊';
      alert = { chatId: e.groupId, text: `${name}：有新消息`, mention: false, at: now() };
    }
    schedule();
  });
  messaging.on('mention', (e) => {
    if (e.alert) {
      const chat = client.chatList.get(e.groupId);
      const name = chat?.remark || client.group(e.groupId)?.info?.name || '群聊';
      alert = { chatId: e.groupId, text: `${name}：有人@我`, mention: true, at: now() };
    }
    schedule();
  });
  messaging.on('poll', (e) => {
    polls.set(e.pollId, pollState(e.state, e.tally));
    schedule();
  });
  messaging.on('question', (e) => {
    questions.set(e.questionId, e.state);
    schedule();
  });
  messaging.on('recall', schedule);

  /** Runs an SDK call for an intent; a failure becomes the view model's problem. */
  async function attempt(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      problem = '';
    } catch (error) {
      problem = problemOf(error);
    }
    await refresh();
  }

  async function sendText(intent: Extract<Intent, { type: 'send-text' }>): Promise<void> {
    const local: PendingSend = { groupId: intent.chatId, messageId: `local-${now()}-${pending.length}`, text: intent.text, sentAt: now(), failed: false };
    pending.push(local);
    schedule();
    try {
      await messaging.sendText(intent.chatId, intent.text, {
        mentions: intent.mentions,
        mentionAll: intent.mentionAll,
        ...(intent.replyTo ? { replyTo: intent.replyTo } : {}),
      });
      pending.splice(pending.indexOf(local), 1);
      problem = '';
    } catch (error) {
      local.failed = true;
      problem = problemOf(error);
    }
    await refresh();
  }

  async function perform(intent: Intent): Promise<void> {
    if (closed) return;
    switch (intent.type) {
      case 'send-text':
        return sendText(intent);
      case 'send-media':
        return attempt(async () => {
          const bytes = await opts.files.read(intent.localPath);
          const meta = { name: intent.media === 'file' ? baseName(intent.localPath) : '', mime: MEDIA_MIME[intent.media], ...(intent.durationMs > 0 ? { durationMs: intent.durationMs } : {}) };
          if (intent.media === 'image') await messaging.sendImage(intent.chatId, bytes, meta);
          else if (intent.media === 'video') await messaging.sendVideo(intent.chatId, bytes, meta);
          else if (intent.media === 'voice') await messaging.sendVoice(intent.chatId, bytes, meta);
          else await messaging.sendFile(intent.chatId, bytes, meta);
        });
      case 'create-poll':
        return attempt(() => messaging.createPoll(intent.chatId, intent.question, intent.options));
      case 'ask-question':
        return attempt(() => messaging.askQuestion(intent.chatId, intent.question));
      case 'answer':
        return attempt(() => messaging.answer(intent.chatId, intent.messageId, intent.text));
      case 'vote':
        return attempt(() => messaging.vote(intent.chatId, intent.messageId, [Number(intent.optionId)]));
      case 'recall':
        return attempt(() => messaging.recall(intent.chatId, intent.messageId));
      case 'open-attachment':
        return attempt(async () => {
          const m = client.history.get(intent.chatId, intent.messageId);
          const bytes = await messaging.downloadAttachment(intent.chatId, intent.messageId);
          localPaths.set(intent.messageId, await opts.files.write(`${intent.messageId}-${baseName(m?.attachment?.name ?? '') || 'file'}`, bytes));
          bytes.fill(0);
        });
      case 'mark-read':
        return attempt(async () => {
          const latest = client.history.latest(intent.chatId);
          if (latest) await client.markRead(intent.chatId, latest.seq);
        });
      case 'pin':
        return attempt(() => client.pin(intent.chatId, intent.pinned));
      case 'mute':
        return attempt(() => client.muteNotifications(intent.chatId, intent.muted));
      case 'set-group-name':
        return attempt(() => client.setInfo(intent.chatId, { name: intent.name }));
      case 'set-announcement':
        return attempt(() => client.setInfo(intent.chatId, { announcement: intent.text }));
      case 'set-my-nickname':
        // Nicknames are not carried by the SDK yet: kept on this device only.
        myNickname = intent.nickname;
        return void (await refresh());
      case 'set-remark':
        return attempt(() => client.setRemark(intent.chatId, intent.remark));
      case 'set-join-policy':
        return attempt(() => client.setPolicy(intent.chatId, { joinPolicy: JOIN_POLICY_OF[intent.policy] }));
      case 'mute-all':
        return attempt(() => client.muteGroup(intent.chatId, intent.muted));
      case 'invite':
        return attempt(async () => {
          const link = await client.createInviteLink(intent.chatId, { expiresAt: now() + INVITE_LINK_TTL_MS, maxUses: INVITE_LINK_MAX_USES });
          inviteIds.set(intent.chatId, link);
        });
      case 'kick':
        return attempt(() => client.kick(intent.chatId, intent.memberId));
      case 'mute-member':
        return attempt(() => client.muteMember(intent.chatId, intent.memberId, intent.muted));
      case 'set-role':
        return attempt(() => client.setRole(intent.chatId, intent.memberId, intent.role));
      case 'transfer-ownership':
        return attempt(() => client.transferOwnership(intent.chatId, intent.memberId));
      case 'approve-join':
        return attempt(() => client.approve(intent.chatId, intent.requestId));
      case 'deny-join':
        return attempt(() => client.deny(intent.chatId, intent.requestId));
      case 'leave':
        return attempt(() => client.leave(intent.chatId));
      case 'dissolve':
        return attempt(() => client.dissolve(intent.chatId));
      case 'create-group':
        return attempt(() => client.createGroup({ name: intent.name, type: intent.kind, policy: { joinPolicy: JOIN_POLICY_OF[intent.joinPolicy] } }));
      case 'join-by-invite':
        return attempt(() => client.join(intent.inviteId));
      case 'view-member':
        memberPages.add(`${intent.chatId}/${intent.memberId}`);
        return void (await refresh());
      case 'search':
        return attempt(async () => {
          search = { query: intent.query, results: [], searching: true };
          const result = client.history.search({
            text: intent.query,
            ...(intent.chatId ? { groupId: intent.chatId } : {}),
            filter: {
              ...(intent.senders.length ? { senders: intent.senders } : {}),
              ...(intent.kinds.length ? { types: intent.kinds as MessageKind[] } : {}),
              ...(intent.since !== null ? { since: intent.since } : {}),
            },
            limit: SEARCH_RESULTS,
          });
          const names = (g: string) => client.chatList.get(g)?.remark || client.group(g)?.info?.name || '群聊';
          search = {
            query: intent.query,
            searching: false,
            results: result.messages.map((m) => ({
              chatId: m.groupId,
              chatName: names(m.groupId),
              messageId: m.messageId,
              senderName: m.sender === selfId ? myNickname || '我' : `成员${m.sender.slice(0, 6)}`,
              sentAt: m.timestamp,
              parts: highlight(m.text, intent.query),
            })),
          };
        });
      case 'subscribe-notifications':
        // Opt-in is recorded by the relay's notifier route (client net layer); nothing to show.
        return;
      default:
        return;
    }
  }

  if (opts.connect !== false) await client.start();
  await refresh();

  return {
    client,
    messaging,
    perform,
    refresh,
    current: () => last,
    async close() {
      closed = true;
      await client.close();
    },
  };
}

/** Splits `text` around case-insensitive occurrences of each whitespace-separated keyword. */
export function highlight(text: string, query: string): { text: string; hit: boolean }[] {
  const words = query
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
  if (words.length === 0) return text ? [{ text, hit: false }] : [];
  const lower = text.toLowerCase();
  const hits = new Array<boolean>(text.length).fill(false);
  for (const w of words) {
    for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + 1)) hits.fill(true, i, i + w.length);
  }
  const parts: { text: string; hit: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const lastPart = parts[parts.length - 1];
    if (lastPart && lastPart.hit === hits[i]) lastPart.text += text[i];
    else parts.push({ text: text[i]!, hit: hits[i]! });
  }
  return parts;
}

