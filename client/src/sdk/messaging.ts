// The messaging layer of the SDK: one send call per message type, and the receiver of
// every decrypted group message (docs/CLIENT-SDK.md "Message content and the send pipeline").
//
// Send pipeline, in this order:
//   1. policy check   the public group state: member, not muted, media allowed; the content
//                     rules (poll open, valid choices, recall window, ...). Refused locally
//                     with a typed error before anything is encrypted or uploaded.
//   2. PII redaction  every free-text field, under the group's signed PII policy.
//   3. compression    per text field, the shorter of UTF-8 and UTF-16 (content/text-field.ts);
//                     no dictionary compression (see the doc on compression oracles).
//   4. padding        Padmé, inside the message layer (crypto/src/message).
//   5. encryption, persist sender state, upload: GroupMessaging.sendPlaintext (the engine).
//   Attachments: size cap, EXIF/GPS stripped (images), chunk-encrypted, uploaded as a blob
//   before the message that points at them.
//
// Receiving: decode, check the sender against the public state at the sender's epoch
// (again: a modified client must not get through), apply the content rules, redact under
// the same policy, then store into the history and raise events. Anything refused is
// dropped, counted by reason, and never shown.
import { bytesToHex, hexToBytes, isBytes, utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';
import { E2eeError } from '../../../crypto/src/errors';
import { ATTACHMENT_TOO_LARGE, decryptAttachment, encryptAttachment, stripImageMetadata } from '../../../crypto/src/attachment';
import { roleOf, type PublicGroupState } from '../../../crypto/src/log/public-fold';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { MAX_ATTACHMENT_BYTES, type AttachmentPointer } from '../../../crypto/src/wire/attachment';
import { MAX_ATTACHMENT_BLOB_ID_BYTES } from '../../../crypto/src/limits';
import { decodeContent, encodeContent } from '../content/codec';
import { MESSAGE_ID_BYTES, MEMBER_ID_BYTES } from '../content/limits';
import { createMessageId } from '../content/message-id';
import { applyPollClose, applyPollVote, createPollState, tallyPoll, type PollState, type PollTally } from '../content/poll';
import { applyAccept, applyAnswer, createQuestionState, removeAnswer, type QuestionState } from '../content/qa';
import type { DropReason } from '../content/reasons';
import { checkRecall } from '../content/recall';
import {
  type AttachmentContent,
  type AttachmentContentType,
  type ContentType,
  type MessageContent,
} from '../content/types';
import type { ChatList } from '../history/chat-list';
import type { History } from '../history/history-store';
import type { MessageType, StoredMessage } from '../history/types';
import { createSerial } from '../store/serial';
import type { LocalStore } from '../store/types';
import { MAX_ADD_BATCH } from '../history/limits';
import { Emitter } from './emitter';
import type { GroupMessaging, IncomingPlaintext } from './messaging-seam';
import {
  CONTENT_REFUSED,
  CONTENT_UNKNOWN_TARGET,
  messagingError,
  SEND_FORBIDDEN,
  SEND_MUTED,
  SEND_NOT_ACTIVE,
  SEND_UNKNOWN_GROUP,
} from './messaging-errors';
import { createRedactor, redactContent, sendRefusal } from './messaging-rules';

/** Text of the local notice that replaces a recalled message. */

/** Content types whose send check reads no poll, Q&A or recall state (only the history's duplicate check). */
const STATELESS_CHECK: ReadonlySet<string> = new Set(['text', 'image', 'video', 'voice', 'file', 'poll-create', 'qa-ask']);

export const RECALL_NOTICE_TEXT = '撤回了一条消息';
/** Characters of the quoted text a reply carries. */
export const QUOTE_PREVIEW_CHARS = 60;
/** Relay receive times remembered per group for the recall window. */
const MAX_RECENT_PER_GROUP = 2_000;
const STATE_PREFIX = 'messaging/';
const TOKEN_KEY = 'messaging/token-key';

export type Id = Uint8Array | string;

export interface MessagingOptions {
  primitives: Primitives;
  history: History;
  chatList: ChatList;
  /** Stores poll and Q&A state and the redaction token key. */
  store: LocalStore;
  /** Milliseconds since the Unix epoch (the platform clock). */
  now(): number;
  /** Raise `mention` alerts in notification-muted groups (default true). */
  alertMentionsWhenMuted?: boolean;
  /** Count @all as a mention for alerts in notification-muted groups (default true). */
  alertMentionAllWhenMuted?: boolean;
}

export interface SentMessage {
  messageId: string;
  seq: number;
  /** PII findings redacted from this message before it left the device. */
  redacted: number;
}

export interface MediaMeta {
  mime?: string;
  name?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  caption?: string;
  /** A small preview image (image and video only); its metadata is stripped too. */
  thumbnail?: Uint8Array;
}

export interface TextOptions {
  mentions?: readonly Id[];
  mentionAll?: boolean;
  /** Message ID being replied to (must be in this device's history). */
  replyTo?: Id;
}

export interface MessagingEvents {
  /** A message stored in the history (sent or received). `alert`: the UI should notify. */
  message: { groupId: string; message: StoredMessage; alert: boolean };
  /** A received message mentioning this member or @all. `alert` honours the notification mute settings. */
  mention: { groupId: string; message: StoredMessage; alert: boolean };
  /** A message was recalled; its history record was replaced by a notice. */
  recall: { groupId: string; messageId: string; by: string };
  poll: { groupId: string; pollId: string; state: PollState; tally: PollTally };
  question: { groupId: string; questionId: string; state: QuestionState };
  /** A received message was refused (counted in stats). */
  dropped: { groupId: string; seq: number; sender: string; reason: DropReason };
}

export interface Messaging {
  sendText(groupId: Id, text: string, options?: TextOptions): Promise<SentMessage>;
  sendImage(groupId: Id, bytes: Uint8Array, meta?: MediaMeta): Promise<SentMessage>;
  sendVideo(groupId: Id, bytes: Uint8Array, meta?: MediaMeta): Promise<SentMessage>;
  sendVoice(groupId: Id, bytes: Uint8Array, meta?: MediaMeta): Promise<SentMessage>;
  sendFile(groupId: Id, bytes: Uint8Array, meta?: MediaMeta): Promise<SentMessage>;
  createPoll(groupId: Id, question: string, options: readonly string[], settings?: { maxChoices?: number }): Promise<SentMessage>;
  vote(groupId: Id, pollId: Id, choices: readonly number[]): Promise<SentMessage>;
  closePoll(groupId: Id, pollId: Id): Promise<SentMessage>;
  askQuestion(groupId: Id, question: string): Promise<SentMessage>;
  answer(groupId: Id, questionId: Id, text: string): Promise<SentMessage>;
  acceptAnswer(groupId: Id, questionId: Id, answerId: Id): Promise<SentMessage>;
  recall(groupId: Id, messageId: Id): Promise<SentMessage>;
  /** Downloads, decrypts and checks (length, every chunk, digest) a message's attachment. */
  downloadAttachment(groupId: Id, messageId: Id): Promise<Uint8Array>;
  poll(groupId: Id, pollId: Id): Promise<(PollState & { tally: PollTally }) | undefined>;
  question(groupId: Id, questionId: Id): Promise<QuestionState | undefined>;
  on<K extends keyof MessagingEvents>(event: K, listener: (e: MessagingEvents[K]) => void): () => void;
  /** Received messages dropped so far, by reason. */
  stats(): { received: number; dropped: Partial<Record<DropReason, number>> };
  /**
   * Receives several decrypted messages of relay order at once (catch-up): the same checks
   * as one by one, with one history append. The engine calls it through the seam's
   * optional setBatchReceiver; front ends never need it.
   */
  receiveMany(messages: readonly IncomingPlaintext[]): Promise<void>;
}

function idBytes(name: string, id: Id, length: number): Uint8Array {
  if (typeof id === 'string') {
    if (!/^[0-9a-f]*$/.test(id) || id.length !== 2 * length) throw new RangeError(`"${name}" expected ${length} bytes as lower-case hex`);
    return hexToBytes(id);
  }
  if (!isBytes(id)) throw new TypeError(`"${name}" expected Uint8Array or hex string`);
  if (id.length !== length) throw new RangeError(`"${name}" expected ${length} bytes, got ${id.length}`);
  return id;
}

function groupBytes(id: Id): Uint8Array {
  return idBytes('groupId', id, 16);
}

function historyType(t: ContentType): MessageType {
  if (t === 'poll-create') return 'poll';
  if (t === 'qa-ask' || t === 'qa-answer') return 'qa';
  return t as MessageType;
}

function contentTypeOf(m: StoredMessage): ContentType | undefined {
  if (m.type === 'poll') return 'poll-create';
  if (m.type === 'qa') return m.replyTo ? 'qa-answer' : 'qa-ask';
  if (m.type === 'system') return undefined;
  return m.type;
}

/** The history record of a displayed content, or undefined for state-only content. */
function toStored(groupId: string, sender: string, seq: number, c: MessageContent): StoredMessage | undefined {
  const base = { groupId, messageId: bytesToHex(c.messageId), sender, seq, timestamp: c.sentAt, mentions: [] as string[], mentionAll: false };
  switch (c.type) {
    case 'text': {
      // The hot path of a catch-up: one literal, no spreads.
      const m: StoredMessage = {
        groupId,
        messageId: base.messageId,
        sender,
        seq,
        timestamp: c.sentAt,
        type: 'text',
        text: c.text,
        mentions: c.mentions.length === 0 ? [] : c.mentions.map((id) => bytesToHex(id)),
        mentionAll: c.mentionAll,
      };
      if (c.replyTo) m.replyTo = bytesToHex(c.replyTo.messageId);
      return m;
    }
    case 'image':
    case 'video':
    case 'voice':
    case 'file':
      return {
        ...base,
        type: c.type,
        text: c.caption,
        attachment: {
          blobId: bytesToHex(c.pointer.blobId),
          size: c.pointer.size,
          ...(c.mime ? { mime: c.mime } : {}),
          ...(c.name ? { name: c.name } : {}),
          ...(c.width ? { width: c.width } : {}),
          ...(c.height ? { height: c.height } : {}),
          ...(c.durationMs ? { durationMs: c.durationMs } : {}),
          sha256: bytesToHex(c.pointer.digest),
          key: bytesToHex(c.pointer.key),
        },
      };
    case 'poll-create':
      return { ...base, type: 'poll', text: c.question };
    case 'qa-ask':
      return { ...base, type: 'qa', text: c.question };
    case 'qa-answer':
      return { ...base, type: 'qa', text: c.text, replyTo: bytesToHex(c.questionId) };
    default:
      return undefined;
  }
}

function refusalError(reason: DropReason, op: string): E2eeError {
  if (reason === 'sender-muted') return messagingError(SEND_MUTED, 'this member is muted in this group', op);
  if (reason === 'media-forbidden') return messagingError(SEND_FORBIDDEN, "the group's policy does not let this member send files or media", op);
  if (reason === 'not-allowed-to-send') return messagingError(SEND_NOT_ACTIVE, 'this member cannot send in this group (left, removed or dissolved)', op);
  if (reason === 'unknown-target' || reason === 'unknown-answer') return messagingError(CONTENT_UNKNOWN_TARGET, `refused: ${reason}`, op);
  return messagingError(CONTENT_REFUSED, `refused: ${reason}`, op);
}

export async function createMessaging(group: GroupMessaging, options: MessagingOptions): Promise<Messaging> {
  const { primitives: p, history, chatList, store, now } = options;
  if (!group || typeof group.sendPlaintext !== 'function') throw new TypeError('"group" expected a GroupMessaging');
  if (!history || !chatList || !store || typeof now !== 'function' || !p) throw new TypeError('"options" needs primitives, history, chatList, store and now');
  const alertMentionsWhenMuted = options.alertMentionsWhenMuted ?? true;
  const alertMentionAllWhenMuted = options.alertMentionAllWhenMuted ?? true;

  let tokenKey = await store.get(TOKEN_KEY);
  if (!tokenKey || tokenKey.length !== 32) {
    tokenKey = p.randomBytes(32);
    await store.put(TOKEN_KEY, tokenKey);
  }
  const redactor = createRedactor((k, d) => p.hmacSha256(k, d), tokenKey);
  const events = new Emitter<MessagingEvents>();
  const selfHex = bytesToHex(group.selfId);
  const dropped: Partial<Record<DropReason, number>> = {};
  let received = 0;
  /** Relay receive time of recent displayed messages, per group (recall window). */
  const recent = new Map<string, Map<string, number>>();

  // --- persisted poll and Q&A state ------------------------------------------------
  const stateCache = new Map<string, PollState | QuestionState | null>();
  const stateKey = (kind: 'poll' | 'qa', g: string, id: string) => `${STATE_PREFIX}${kind}-${g}-${id}`;
  async function loadState<S>(key: string): Promise<S | undefined> {
    if (stateCache.has(key)) return (stateCache.get(key) ?? undefined) as S | undefined;
    const bytes = await store.get(key);
    let value: S | undefined;
    if (bytes) {
      try {
        value = decodeJson(bytes) as S | undefined;
      } catch {
        value = undefined;
      }
    }
    stateCache.set(key, (value ?? null) as PollState | QuestionState | null);
    return value;
  }
  async function saveState(key: string, value: PollState | QuestionState): Promise<void> {
    await store.put(key, encodeJson(value));
    stateCache.set(key, value);
  }
  async function deleteState(key: string): Promise<void> {
    await store.delete(key);
    stateCache.set(key, null);
  }

  function remember(g: string, messageId: string, at: number): void {
    let m = recent.get(g);
    if (!m) recent.set(g, (m = new Map()));
    m.set(messageId, at);
    // Oldest first out: more than MAX_RECENT_PER_GROUP messages inside one 2-minute window
    // is no conversation; an evicted message is judged by its sender time (receivedAtOf).
    if (m.size > MAX_RECENT_PER_GROUP) m.delete(m.keys().next().value!);
  }
  /** The relay time of a message, or (after a restart) its sender time as the best bound left. */
  function receivedAtOf(g: string, m: StoredMessage): number {
    return recent.get(g)?.get(m.messageId) ?? m.timestamp;
  }

  function count(reason: DropReason): void {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  }

  // --- applying a content (sender and receivers alike) -------------------------------
  /**
   * A unit of work: history records to add in one append, and events to raise once they
   * are stored. A catch-up batch of many messages is one append instead of one per message.
   */
  interface Batch {
    pending: StoredMessage[];
    ids: Set<string>;
    after: (() => void)[];
    /** Notification mute per group, read once per batch. */
    muted: Map<string, boolean>;
  }
  const newBatch = (): Batch => ({ pending: [], ids: new Set(), after: [], muted: new Map() });
  function mutedIn(b: Batch, g: string): boolean {
    let m = b.muted.get(g);
    if (m === undefined) b.muted.set(g, (m = chatList.isMuted(g)));
    return m;
  }
  async function flush(b: Batch): Promise<void> {
    for (let i = 0; i < b.pending.length; i += MAX_ADD_BATCH) await history.add(b.pending.slice(i, i + MAX_ADD_BATCH));
    b.pending = [];
    b.ids.clear();
    const after = b.after;
    b.after = [];
    for (const f of after) f();
  }
  /** Every apply/flush runs under this: sends and receives interleave, and state is read-modify-write. */
  const serial = createSerial();

  /**
   * Checks the content rules and applies a content to history and state. `sender` is the
   * member that sent it, `state` the public state at its epoch, `at` the relay receive
   * time (or the local clock for our own sends). Returns the drop reason, or null.
   */
  async function apply(
    b: Batch,
    g: string,
    sender: Uint8Array,
    seq: number,
    at: number,
    state: PublicGroupState,
    c: MessageContent,
    dryRun: boolean,
  ): Promise<{ reason: DropReason | null; stored?: StoredMessage }> {
    const senderHex = bytesToHex(sender);
    const idHex = bytesToHex(c.messageId);
    const emit = <K extends keyof MessagingEvents>(k: K, payload: MessagingEvents[K]) => b.after.push(() => events.emit(k, payload));
    switch (c.type) {
      case 'poll-vote':
      case 'poll-close': {
        const key = stateKey('poll', g, bytesToHex(c.pollId));
        const poll = await loadState<PollState>(key);
        if (!poll) return { reason: 'unknown-target' };
        const r = c.type === 'poll-vote' ? applyPollVote(poll, sender, c.choices) : applyPollClose(poll, sender, roleOf(state, sender));
        if (!r.ok) return { reason: r.reason };
        if (!dryRun) {
          await saveState(key, r.state);
          emit('poll', { groupId: g, pollId: poll.pollId, state: r.state, tally: tallyPoll(r.state) });
        }
        return { reason: null };
      }
      case 'qa-accept': {
        const key = stateKey('qa', g, bytesToHex(c.questionId));
        const q = await loadState<QuestionState>(key);
        if (!q) return { reason: 'unknown-target' };
        const r = applyAccept(q, sender, c.answerId);
        if (!r.ok) return { reason: r.reason };
        if (!dryRun) {
          await saveState(key, r.state);
          emit('question', { groupId: g, questionId: q.questionId, state: r.state });
        }
        return { reason: null };
      }
      case 'recall': {
        await flush(b); // the target may still be pending
        const targetHex = bytesToHex(c.targetId);
        const target = history.get(g, targetHex);
        const targetType = target && contentTypeOf(target);
        if (!target || !targetType) return { reason: 'unknown-target' };
        const reason = checkRecall({
          recaller: sender,
          recallerRole: roleOf(state, sender),
          recallReceivedAt: at,
          target: { sender: hexToBytes(target.sender), senderRole: roleOf(state, hexToBytes(target.sender)), type: targetType, receivedAt: receivedAtOf(g, target) },
        });
        if (reason) return { reason };
        if (dryRun) return { reason: null };
        await history.recall(g, targetHex);
        if (targetType === 'poll-create') await deleteState(stateKey('poll', g, targetHex));
        if (targetType === 'qa-ask') await deleteState(stateKey('qa', g, targetHex));
        if (targetType === 'qa-answer' && target.replyTo) {
          const key = stateKey('qa', g, target.replyTo);
          const q = await loadState<QuestionState>(key);
          if (q) {
            const next = removeAnswer(q, c.targetId);
            await saveState(key, next);
            emit('question', { groupId: g, questionId: q.questionId, state: next });
          }
        }
        const notice: StoredMessage = {
          groupId: g,
          messageId: idHex,
          sender: senderHex,
          seq,
          timestamp: c.sentAt,
          type: 'system',
          text: RECALL_NOTICE_TEXT,
          mentions: [],
          mentionAll: false,
          replyTo: targetHex,
        };
        if (history.get(g, idHex)) return { reason: 'duplicate' };
        b.pending.push(notice);
        b.ids.add(idHex);
        emit('recall', { groupId: g, messageId: targetHex, by: senderHex });
        return { reason: null, stored: notice };
      }
      default:
        break;
    }
    // Displayed content.
    let questionKey: string | undefined;
    let question: QuestionState | undefined;
    if (c.type === 'qa-answer') {
      questionKey = stateKey('qa', g, bytesToHex(c.questionId));
      question = await loadState<QuestionState>(questionKey);
      if (!question) return { reason: 'unknown-target' };
      const r = applyAnswer(question, sender, c.messageId, c.text, c.sentAt);
      if (!r.ok) return { reason: r.reason };
      question = r.state;
    }
    if (b.ids.has(idHex) || history.get(g, idHex)) return { reason: 'duplicate' };
    if (dryRun) return { reason: null };
    const stored = toStored(g, senderHex, seq, c)!;
    b.pending.push(stored);
    b.ids.add(idHex);
    remember(g, idHex, at);
    if (c.type === 'poll-create') {
      const s = createPollState(sender, c);
      await saveState(stateKey('poll', g, idHex), s);
      emit('poll', { groupId: g, pollId: idHex, state: s, tally: tallyPoll(s) });
    } else if (c.type === 'qa-ask') {
      const s = createQuestionState(sender, c);
      await saveState(stateKey('qa', g, idHex), s);
      emit('question', { groupId: g, questionId: idHex, state: s });
    } else if (questionKey && question) {
      await saveState(questionKey, question);
      emit('question', { groupId: g, questionId: question.questionId, state: question });
    }
    return { reason: null, stored };
  }

  // --- receiving ---------------------------------------------------------------------
  async function receiveOne(b: Batch, m: IncomingPlaintext): Promise<void> {
    received++;
    const g = bytesToHex(m.groupId);
    const senderHex = bytesToHex(m.sender);
    const drop = (reason: DropReason) => {
      count(reason);
      b.after.push(() => events.emit('dropped', { groupId: g, seq: m.seq, sender: senderHex, reason }));
    };
    let c: MessageContent;
    try {
      c = decodeContent(m.plaintext);
    } catch (e) {
      drop(e instanceof E2eeError && e.code === 'E2E_ERR_CONTENT_UNSUPPORTED' ? 'unsupported' : 'malformed');
      return;
    }
    const refusal = sendRefusal(m.state, m.sender, c);
    if (refusal) return drop(refusal);
    // The same policy on every side: a modified sender cannot land unmasked PII in our history.
    c = redactContent(c, (t) => redactor.redact(m.state, t).text);
    const { reason, stored } = await apply(b, g, m.sender, m.seq, m.sentAt, m.state, c, false);
    if (reason) return drop(reason);
    if (!stored) return;
    b.after.push(() => {
      if (stored.type === 'system') {
        events.emit('message', { groupId: g, message: stored, alert: false });
        return;
      }
      const muted = mutedIn(b, g);
      const blocked = history.isBlocked(senderHex);
      const mentionsMe = stored.mentions.includes(selfHex);
      events.emit('message', { groupId: g, message: stored, alert: !muted && !blocked });
      if ((mentionsMe || stored.mentionAll) && !blocked) {
        const alert = !muted || (mentionsMe ? alertMentionsWhenMuted : alertMentionAllWhenMuted);
        events.emit('mention', { groupId: g, message: stored, alert });
      }
    });
  }

  /** Receives messages in relay order: one history append for all of them, events after it. */
  function receiveMany(ms: readonly IncomingPlaintext[]): Promise<void> {
    return serial(async () => {
      const b = newBatch();
      try {
        for (const m of ms) await receiveOne(b, m);
      } finally {
        await flush(b);
      }
    });
  }

  group.setReceiver((m) => receiveMany([m]));
  group.setBatchReceiver?.(receiveMany);

  // --- sending -----------------------------------------------------------------------
  function stateFor(g: Uint8Array, op: string): PublicGroupState {
    const state = group.publicState(g);
    if (!state) throw messagingError(SEND_UNKNOWN_GROUP, 'no such group on this device', op);
    return state;
  }

  /** Pipeline steps 1 (member and mute checks) happen in the callers; this runs 1 (content rules) to 5. */
  async function send(g: Uint8Array, state: PublicGroupState, build: (head: { messageId: Uint8Array; sentAt: number }) => MessageContent, op: string): Promise<SentMessage> {
    const sentAt = now();
    const head = { messageId: createMessageId(sentAt, (n) => p.randomBytes(n)), sentAt };
    let findings = 0;
    const content = redactContent(build(head), (t) => {
      const r = redactor.redact(state, t);
      findings += r.findings;
      return r.text;
    });
    if (content.type === 'poll-create' && new Set(content.options).size !== content.options.length) {
      throw messagingError(CONTENT_REFUSED, 'poll options are no longer distinct after PII masking', op);
    }
    const gHex = bytesToHex(g);
    // Contents that read no poll/Q&A/history state are checked at once, not behind queued
    // history writes: under a steady stream those would add a disk write to every send.
    const check = STATELESS_CHECK.has(content.type)
      ? await apply(newBatch(), gHex, group.selfId, 0, sentAt, state, content, true)
      : await serial(() => apply(newBatch(), gHex, group.selfId, 0, sentAt, state, content, true));
    if (check.reason) throw refusalError(check.reason, op);
    const plaintext = encodeContent(content);
    const sent = await group.sendPlaintext(g, plaintext, content.messageId);
    // Our own copy: the relay does not echo our messages back.
    const after = group.publicState(g) ?? state;
    await storeOwnCopy(async (b) => {
      const { reason, stored } = await apply(b, gHex, group.selfId, sent.seq, sentAt, after, content, false);
      if (stored && !reason) b.after.push(() => events.emit('message', { groupId: gHex, message: stored, alert: false }));
    });
    return { messageId: bytesToHex(content.messageId), seq: sent.seq, redacted: findings };
  }

  /**
   * Own copies of sends that complete while a history write is queued or running join one
   * batch: a burst of N sends costs one history write (one fsync), not N in a row.
   */
  let ownRun: { work: ((b: Batch) => Promise<void>)[]; done: Promise<void> } | null = null;
  function storeOwnCopy(work: (b: Batch) => Promise<void>): Promise<void> {
    if (ownRun) {
      ownRun.work.push(work);
      return ownRun.done;
    }
    const run: { work: ((b: Batch) => Promise<void>)[]; done: Promise<void> } = { work: [work], done: Promise.resolve() };
    ownRun = run;
    run.done = serial(async () => {
      ownRun = null; // sends finishing from now on start the next batch
      const b = newBatch();
      for (const w of run.work) await w(b);
      await flush(b);
    });
    return run.done;
  }

  function checkSender(g: Uint8Array, type: ContentType, op: string): PublicGroupState {
    const state = stateFor(g, op);
    const refusal = sendRefusal(state, group.selfId, { type });
    if (refusal) throw refusalError(refusal, op);
    return state;
  }

  async function sendMedia(type: AttachmentContentType, groupId: Id, bytes: Uint8Array, meta: MediaMeta = {}): Promise<SentMessage> {
    const op = `send ${type}`;
    const g = groupBytes(groupId);
    if (!isBytes(bytes)) throw new TypeError('"bytes" expected Uint8Array');
    if (typeof meta !== 'object' || meta === null) throw new TypeError('"meta" expected an object');
    const state = checkSender(g, type, op);
    if (bytes.length > MAX_ATTACHMENT_BYTES[type]) {
      throw new E2eeError(ATTACHMENT_TOO_LARGE, `${type}: ${bytes.length} bytes exceed the cap ${MAX_ATTACHMENT_BYTES[type]}`, op);
    }
    let file = bytes;
    let mime = meta.mime ?? '';
    let thumbnail = meta.thumbnail;
    if (type === 'image') {
      const stripped = stripImageMetadata(bytes);
      file = stripped.bytes;
      mime = `image/${stripped.format}`;
    }
    if (thumbnail !== undefined) {
      if (type !== 'image' && type !== 'video') throw new RangeError(`"thumbnail" is only for image and video`);
      thumbnail = stripImageMetadata(thumbnail).bytes;
    }
    const build = (pointer: AttachmentPointer) => (head: { messageId: Uint8Array; sentAt: number }): AttachmentContent => ({
      type,
      ...head,
      pointer,
      mime,
      name: meta.name ?? '',
      width: type === 'image' || type === 'video' ? (meta.width ?? 0) : 0,
      height: type === 'image' || type === 'video' ? (meta.height ?? 0) : 0,
      durationMs: type === 'video' || type === 'voice' ? (meta.durationMs ?? 0) : 0,
      caption: type === 'voice' ? '' : (meta.caption ?? ''),
      ...(thumbnail !== undefined ? { thumbnail } : {}),
    });
    // Check the metadata (sizes, MIME form, dimensions) before anything is encrypted or
    // uploaded: a draft with the largest pointer must encode.
    const placeholder: AttachmentPointer = { kind: type, blobId: new Uint8Array(MAX_ATTACHMENT_BLOB_ID_BYTES), key: new Uint8Array(32), digest: new Uint8Array(32), size: file.length };
    encodeContent(build(placeholder)({ messageId: new Uint8Array(MESSAGE_ID_BYTES), sentAt: now() }));
    const { blob, secrets } = encryptAttachment(p, type, file);
    const blobId = await group.uploadBlob(g, blob);
    const pointer: AttachmentPointer = { kind: type, blobId, key: secrets.key, digest: secrets.digest, size: secrets.size };
    return send(
      g,
      state,
      build(pointer),
      op,
    );
  }

  const api: Messaging = {
    async sendText(groupId, text, opts = {}) {
      const op = 'send text';
      const g = groupBytes(groupId);
      if (typeof text !== 'string') throw new TypeError('"text" expected string');
      const state = checkSender(g, 'text', op);
      const mentions = (opts.mentions ?? []).map((id, i) => idBytes(`mentions[${i}]`, id, MEMBER_ID_BYTES));
      let replyTo: { messageId: Uint8Array; sender: Uint8Array; preview: string } | undefined;
      if (opts.replyTo !== undefined) {
        const rid = idBytes('replyTo', opts.replyTo, MESSAGE_ID_BYTES);
        const quoted = history.get(bytesToHex(g), bytesToHex(rid));
        if (!quoted || quoted.type === 'system') throw messagingError(CONTENT_UNKNOWN_TARGET, 'the message replied to is not in this history', op);
        replyTo = { messageId: rid, sender: hexToBytes(quoted.sender), preview: [...previewOf(quoted)].slice(0, QUOTE_PREVIEW_CHARS).join('') };
      }
      return send(g, state, (head) => ({ type: 'text', ...head, text, mentions, mentionAll: opts.mentionAll === true, ...(replyTo ? { replyTo } : {}) }), op);
    },
    sendImage: (g, b, m) => sendMedia('image', g, b, m),
    sendVideo: (g, b, m) => sendMedia('video', g, b, m),
    sendVoice: (g, b, m) => sendMedia('voice', g, b, m),
    sendFile: (g, b, m) => sendMedia('file', g, b, m),
    async createPoll(groupId, question, pollOptions, settings = {}) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'poll-create', 'create poll');
      return send(g, state, (head) => ({ type: 'poll-create', ...head, question, options: [...pollOptions], maxChoices: settings.maxChoices ?? 1 }), 'create poll');
    },
    async vote(groupId, pollId, choices) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'poll-vote', 'vote');
      const id = idBytes('pollId', pollId, MESSAGE_ID_BYTES);
      if (!Array.isArray(choices)) throw new TypeError('"choices" expected an array');
      const sorted = [...new Set(choices)].sort((a, b) => a - b);
      return send(g, state, (head) => ({ type: 'poll-vote', ...head, pollId: id, choices: sorted }), 'vote');
    },
    async closePoll(groupId, pollId) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'poll-close', 'close poll');
      const id = idBytes('pollId', pollId, MESSAGE_ID_BYTES);
      return send(g, state, (head) => ({ type: 'poll-close', ...head, pollId: id }), 'close poll');
    },
    async askQuestion(groupId, question) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'qa-ask', 'ask question');
      return send(g, state, (head) => ({ type: 'qa-ask', ...head, question }), 'ask question');
    },
    async answer(groupId, questionId, text) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'qa-answer', 'answer');
      const id = idBytes('questionId', questionId, MESSAGE_ID_BYTES);
      return send(g, state, (head) => ({ type: 'qa-answer', ...head, questionId: id, text }), 'answer');
    },
    async acceptAnswer(groupId, questionId, answerId) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'qa-accept', 'accept answer');
      const q = idBytes('questionId', questionId, MESSAGE_ID_BYTES);
      const a = idBytes('answerId', answerId, MESSAGE_ID_BYTES);
      return send(g, state, (head) => ({ type: 'qa-accept', ...head, questionId: q, answerId: a }), 'accept answer');
    },
    async recall(groupId, messageId) {
      const g = groupBytes(groupId);
      const state = checkSender(g, 'recall', 'recall');
      const id = idBytes('messageId', messageId, MESSAGE_ID_BYTES);
      return send(g, state, (head) => ({ type: 'recall', ...head, targetId: id }), 'recall');
    },
    async downloadAttachment(groupId, messageId) {
      const op = 'downloadAttachment';
      const g = bytesToHex(groupBytes(groupId));
      const id = bytesToHex(idBytes('messageId', messageId, MESSAGE_ID_BYTES));
      const m = history.get(g, id);
      const a = m?.attachment;
      if (!m || !a || !a.blobId || !a.key || !a.sha256 || a.size === undefined || !isAttachmentType(m.type)) {
        throw messagingError(CONTENT_UNKNOWN_TARGET, 'no attachment message with this ID in the history', op);
      }
      const blob = await group.downloadBlob(hexToBytes(a.blobId));
      return decryptAttachment(p, { kind: m.type, key: hexToBytes(a.key), digest: hexToBytes(a.sha256), size: a.size }, blob);
    },
    async poll(groupId, pollId) {
      const s = await loadState<PollState>(stateKey('poll', bytesToHex(groupBytes(groupId)), bytesToHex(idBytes('pollId', pollId, MESSAGE_ID_BYTES))));
      return s ? { ...s, tally: tallyPoll(s) } : undefined;
    },
    async question(groupId, questionId) {
      return loadState<QuestionState>(stateKey('qa', bytesToHex(groupBytes(groupId)), bytesToHex(idBytes('questionId', questionId, MESSAGE_ID_BYTES))));
    },
    on: (event, listener) => events.on(event, listener),
    stats: () => ({ received, dropped: { ...dropped } }),
    receiveMany,
  };
  return api;
}

const TYPE_LABEL: Partial<Record<MessageType, string>> = { image: '[图片]', video: '[视频]', voice: '[语音]', file: '[文件]', poll: '[投票]' };

/** What a reply quotes: the text, with a label for media, files and polls ("[图片] caption"). */
function previewOf(m: StoredMessage): string {
  const label = TYPE_LABEL[m.type];
  const text = m.type === 'file' && !m.text ? (m.attachment?.name ?? '') : m.text;
  return label ? (text ? `${label} ${text}` : label) : text;
}

function isAttachmentType(t: MessageType): t is AttachmentContentType {
  return t === 'image' || t === 'video' || t === 'voice' || t === 'file';
}

// JSON state records in the store: UTF-8 via the shared codec (no TextEncoder on wx).
function encodeJson(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value));
}
function decodeJson(bytes: Uint8Array): unknown {
  const s = utf8DecodeStrict(bytes);
  return s === null ? undefined : JSON.parse(s);
}
