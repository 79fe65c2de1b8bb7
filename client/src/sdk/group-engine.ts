// The group engine: every group this device is in, driven in relay order.
//
// For each group it keeps the member state (crypto/src/log), the sender and receiver
// states (crypto/src/message) and the cursors (log length, last message seq) in the
// LocalStore, and runs every frame, commit and send step of the group through one queue,
// one at a time. It implements GroupMessaging (messaging-seam.ts) for the messaging layer.
//
// Ordering and persistence rules (docs/CLIENT-SDK.md "Ordering guarantees"):
// - log entries are applied strictly by index (a gap is filled from GET /log first);
//   every epoch is entered with startEpoch; the member record is written before the
//   receiver and sender records, and load() repairs a crash between them;
// - while a group resumes (until CAUGHT_UP) the relay sends every log entry before the
//   messages; the engine holds those entries back and applies each one only once the
//   messages of earlier epochs are through, so messages are read in the epoch they were
//   sent in (and a member's last words before its removal are still read);
// - a message is ACKed only after its receiver (messaging) resolved and the receiver
//   record was persisted (persist before ACK; batched per queue drain);
// - a sender state is persisted before the ciphertext is released (M6);
// - a commit is persisted as pending before it is appended, then adopted or discarded by
//   comparing the relay's log (PROTOCOL section 12).
import { bytesToHex, concatBytes, equalBytes, hexToBytes, wipe } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import type { DeviceIdentity } from '../../../crypto/src/identity/identity';
import {
  commitAdd,
  commitDissolve,
  commitGroupInfo,
  commitLeaveRemoval,
  commitPolicy,
  commitRemove,
  commitRole,
  commitRotate,
  commitTransferOwnership,
  createGroup as buildCreateGroup,
  requestLeave,
  type CommitResult,
  type PrekeyLookup,
  type RecipientPrekey,
} from '../../../crypto/src/log/commit';
import { canSendInEpoch, epochView, hasPendingRemoval, type GroupMemberState } from '../../../crypto/src/log/member-state';
import { joinFromWelcome, processEntry } from '../../../crypto/src/log/private-fold';
import {
  BROKEN_CHAIN,
  canInvite,
  canSendMessage,
  decodeLogEntry,
  headHashOfEntry,
  isMember,
  memberOf,
  pendingLeavers,
  type GroupPolicy,
  type LogEntry,
  type PublicGroupState,
  type Role,
} from '../../../crypto/src/log/public-fold';
import { DEFAULT_EPOCH_GRACE_MS } from '../../../crypto/src/limits';
import { decryptGroupMessage } from '../../../crypto/src/message/decrypt';
import { encryptGroupMessage, reserveSenderState } from '../../../crypto/src/message/encrypt';
import { OWN_MESSAGE, UNKNOWN_EPOCH } from '../../../crypto/src/message/errors';
import { startEpoch, type EpochInput } from '../../../crypto/src/message/session';
import type { ReceiverState, SenderState } from '../../../crypto/src/message/state';
import type { Primitives } from '../../../crypto/src/primitives/types';
import type { GroupInfo } from '../../../crypto/src/wire/group-info';
import { decodePrekeyBundle, type PrekeyBundle } from '../../../crypto/src/wire/identity';
import { MAX_PREKEY_BUNDLES_PER_REQUEST } from '../../../crypto/src/wire/http-bodies';
import { prekeyBundleOf } from '../../../crypto/src/identity/prekeys';
import { memberIdOf } from '../../../crypto/src/identity/member-id';
import type { ConnectionState, RelayApi, RelayConnection, TimerHandle } from '../net/types';
import { createSerial, type Serial } from '../store/serial';
import type { LocalStore } from '../store/types';
import type { DeviceAccount } from './account';
import { Emitter } from './emitter';
import {
  relayErrorOf,
  SDK_ALARM,
  SDK_ALREADY_MEMBER,
  SDK_CLOSED,
  SDK_COMMIT_RACE,
  SDK_FORBIDDEN,
  SDK_JOIN_REFUSED,
  SDK_MUTED,
  SDK_NO_PREKEY,
  SDK_NOT_ACTIVE,
  SDK_SEND_FAILED,
  SDK_STATE_CORRUPT,
  SDK_TIMEOUT,
  SDK_UNKNOWN_GROUP,
  SDK_UNKNOWN_REQUEST,
  sdkError,
} from './errors';
import {
  decodeLinks,
  decodeMemberRecord,
  decodePendingCommit,
  decodeReceiverRecord,
  decodeSenderRecord,
  encodeLinks,
  encodeMemberRecord,
  encodePendingCommit,
  encodeReceiverRecord,
  encodeSenderRecord,
  GROUP_PREFIX,
  groupKey,
  MAX_LINKS_PER_GROUP,
  type GroupStatus,
  type PendingCommit,
  type StoredLink,
} from './group-records';
import {
  decodeControl,
  encodeLinkShare,
  formatInviteLink,
  FRAME_APP,
  FRAME_CONTROL,
  openJoinRequest,
  parseInviteLink,
  sealJoinRequest,
} from './invite-link';
import type { GroupMessaging, IncomingPlaintext, SentPlaintext } from './messaging-seam';

// --- options and events --------------------------------------------------------------

export interface EngineOptions {
  /**
   * Automatic commits (removal after a leave request, rotation after an alarm, adds from
   * an open invite link) wait a random delay up to this long first, so that one member's
   * commit usually wins without a race (ms, default 1500).
   */
  autoCommitJitterMs?: number;
  /** How long a send waits for a pending removal to be committed or a reconnect (ms, default 20000). */
  sendWaitMs?: number;
  /** Commit attempts (rebases after HEAD_MISMATCH) before SDK_COMMIT_RACE (default 8). */
  maxCommitAttempts?: number;
  /** Grace window of replaced epochs for late messages (ms, default DEFAULT_EPOCH_GRACE_MS). */
  epochGraceMs?: number;
  /** After a reconnect, a group without CAUGHT_UP this long is probed over HTTP (removed or dissolved while offline). Default 5000. */
  resumeProbeMs?: number;
  /**
   * Live messages are handed to the receiver at once; the receiver record (cursor and
   * chains) is written and the ACK sent at most this long after the first unwritten one
   * (ms, default 1000): one write per busy second, not one per message. The record holds
   * every chain of up to four epochs (about 41 KB in a 100-member group), so writing it
   * every 100 ms cost a busy receiver more CPU than decrypting. A crash in between loses
   * nothing: the relay redelivers from the last ACK and history adds are idempotent.
   */
  persistDelayMs?: number;
}

export const ENGINE_DEFAULTS = {
  autoCommitJitterMs: 1500,
  sendWaitMs: 20_000,
  maxCommitAttempts: 8,
  epochGraceMs: DEFAULT_EPOCH_GRACE_MS,
  resumeProbeMs: 5000,
  persistDelayMs: 1000,
} as const;

/** Log page size for catch-up over HTTP. */
const LOG_PAGE = 200;
/** An automatic commit that failed is tried again after this long (plus jitter). */
const AUTO_RETRY_MS = 3000;
/** Prekey fetches of a commit: split in about this many requests, each of at least PREKEY_BATCH_MIN members. */
const PREKEY_BATCHES = 4;
const PREKEY_BATCH_MIN = 16;
/**
 * Generations one sender-record write reserves (docs/PROTOCOL.md M6, "Reserving a run"). A
 * busy sender writes its record once per 16 messages instead of once each (at 50 messages/s
 * that write, with its fsync, was the largest cost of a send); a crash skips at most 15
 * generations, which each receiver bridges with as many skipped keys (68 bytes each in its
 * record) that are never used.
 */
const SENDER_RESERVATION = 16;
/** Messages handed to a batch receiver at once, at most. */
const MAX_BATCH = 500;
/** Public states of recent epochs kept in memory, for the permission check of late messages. */
const RECENT_EPOCH_STATES = 8;

export type MembershipKind = 'created' | 'joined' | 'added' | 'removed' | 'leave-requested' | 'role' | 'owner' | 'policy' | 'dissolved';

export interface MembershipEvent {
  groupId: Uint8Array;
  kind: MembershipKind;
  /** Epoch the change started. */
  epoch: number;
  /** Who made the change (the log entry's actor). */
  actor: Uint8Array;
  /** The members concerned (added, removed, the member whose role changed, the new owner). */
  members: Uint8Array[];
  role?: Role;
}

export type AlarmKind =
  /** The relay accepted a commit this client cannot verify (bad MAC, unopenable envelope, bad info): a rotation follows. */
  | 'commit-unverifiable'
  /** A message did not decrypt or verify (bad signature, unknown epoch past the window, ...). */
  | 'undecryptable-message'
  /** A message from a member the policy does not let send (muted, ...) was dropped. */
  | 'forbidden-message'
  /** The relay showed a log that contradicts this device's (a different entry at a known index, a shorter log). */
  | 'fork'
  /** The relay delivered an entry this client's fold rejects; the group cannot advance. */
  | 'rejected-entry'
  /** A welcome did not open or verify; the join did not happen. */
  | 'welcome-unverifiable'
  /** A key handed out for a member ID is not that member's. */
  | 'identity-changed';

export interface AlarmEvent {
  groupId: Uint8Array | null;
  kind: AlarmKind;
  /** The protocol error code behind it (e.g. E2E_ERR_COMMIT_UNVERIFIABLE, E2E_ERR_BAD_SIGNATURE). */
  code: string;
  epoch?: number;
  seq?: number;
  sender?: Uint8Array;
  /** For commit-unverifiable: bad-mac, unopenable-envelope or bad-group-info. */
  reason?: string;
}

export interface GapEvent {
  groupId: Uint8Array;
  /** First and last sequence number this device will never receive (the relay's retention deleted them). */
  fromSeq: number;
  toSeq: number;
}

export interface JoinRequestEvent {
  groupId: Uint8Array;
  requestId: number;
  memberId: Uint8Array;
  /** The name the joiner typed (unverified). */
  name: string;
}

export interface GroupStatusEvent {
  groupId: Uint8Array;
  status: GroupStatus;
}

export interface EngineEvents {
  /** Membership changes from the log (created, joined, added, removed, leave-requested, role, owner, policy, dissolved). */
  membership: MembershipEvent;
  /** New group info (name, announcement, avatar) from a group-info entry or a welcome. */
  groupInfo: { groupId: Uint8Array; info: GroupInfo };
  /** This device's status in a group changed: active (created/joined), left, removed, dissolved. */
  status: GroupStatusEvent;
  alarm: AlarmEvent;
  /** Messages this device will never get: the relay's retention deleted them while it was offline. */
  gap: GapEvent;
  /** A join request waits for approval (approval policy; owner and admins). */
  joinRequest: JoinRequestEvent;
  /** Decrypted application content, when no receiver is registered (setReceiver). */
  plaintext: IncomingPlaintext;
  connection: { state: ConnectionState };
  /** A background step failed (an automatic commit, a catch-up): for logs and diagnostics. */
  error: { groupId: Uint8Array | null; operation: string; error: unknown };
}

// --- per-group session ----------------------------------------------------------------

interface PendingJoinRequest {
  requestId: number;
  memberId: Uint8Array;
  name: string;
  bundle: PrekeyBundle;
}

interface GroupSession {
  readonly id: Uint8Array;
  readonly hex: string;
  status: GroupStatus;
  logLength: number;
  member: GroupMemberState;
  sender: SenderState | null;
  /**
   * The sender record as last written: up to SENDER_RESERVATION generations ahead of
   * `sender`. Sends are released against it without a write until the chain reaches it.
   */
  senderWritten: SenderState | null;
  receiver: ReceiverState | null;
  messageSeq: number;
  anchored: boolean;
  /** Until CAUGHT_UP after a (re)connect: log entries are held back (see the header). */
  syncing: boolean;
  deferred: { index: number; entry: Uint8Array; envelope: Uint8Array }[];
  /** Decrypted messages not yet handed to the batch receiver. */
  batch: IncomingPlaintext[];
  /** Sends waiting to be encrypted (one encryption run per queue turn). */
  sendRequests: { framed: Uint8Array; resolve: (v: { bytes: Uint8Array; epoch: number } | null) => void; reject: (e: unknown) => void }[];
  encryptQueued: boolean;
  /** Messages processed since the receiver record was last written. */
  unflushed: number;
  /** The receiver record changed since it was persisted. */
  dirty: boolean;
  flushQueued: boolean;
  /** A hand-over of the batch to the receiver is queued. */
  deliverQueued: boolean;
  /** Timer of the coalesced receiver-record write (live messages). */
  persistTimer: TimerHandle | null;
  /**
   * The receiver-record writes in flight, in order (settles, never rejects). A live flush
   * does not hold the group's queue while its record is written, so the next message is
   * decrypted and shown meanwhile; every write of the record chains after this one.
   */
  recordWrites: Promise<void>;
  /** Sequence numbers of this device's own sends, not echoed back live. */
  ownSeqs: Set<number>;
  recentStates: Map<number, PublicGroupState>;
  /** Head hash after each recent index (fork check). */
  recentHeads: Map<number, string>;
  links: StoredLink[];
  joinRequests: Map<number, PendingJoinRequest>;
  /** Member IDs (hex) removed while this device watched: never auto-admitted again by an open link. */
  removedSince: Set<string>;
  waiters: Set<() => void>;
  autoTimer: TimerHandle | null;
  /** The fold rejected an entry: nothing more is applied. */
  stuck: boolean;
  /**
   * The receiver (messaging) failed: in-memory progress is ahead of what was delivered, so
   * nothing more is processed, written or sent in this group until the client is restarted;
   * it then loads the persisted cursors and the relay redelivers from there.
   */
  stalled: boolean;
  /** Cursors as last written (what a resume of a stalled group asks for). */
  savedSeq: number;
  savedLog: number;
  /** A leave request of this device was accepted. */
  leaving: boolean;
}

export interface EngineDeps {
  p: Primitives;
  store: LocalStore;
  account: DeviceAccount;
  api: RelayApi;
  connection: RelayConnection;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => TimerHandle;
  clearTimer: (h: TimerHandle) => void;
  options?: EngineOptions;
}

export interface GroupSnapshot {
  groupId: Uint8Array;
  status: GroupStatus;
  epoch: number;
  logLength: number;
  messageSeq: number;
  info: GroupInfo | null;
  state: PublicGroupState;
  /** Waiting for a rotation after an unverifiable commit. */
  alarm: boolean;
  /** Sends are allowed now (no pending removal, no alarm, not muted). */
  canSend: boolean;
}

const ZERO_HEAD = new Uint8Array(32);

function entryEpochOf(entry: Uint8Array): number {
  // content = u8 version || u8 kind || groupId[16] || u32 epoch ...
  return entry.length >= 22 ? ((entry[18]! << 24) >>> 0) + (entry[19]! << 16) + (entry[20]! << 8) + entry[21]! : 0;
}

function isNetError(e: unknown): boolean {
  return isE2eeError(e) && (e.code === 'E2E_ERR_NET_CLOSED' || e.code === 'E2E_ERR_NET_FAILED' || e.code === 'E2E_ERR_NET_TIMEOUT');
}

export class GroupEngine implements GroupMessaging {
  readonly events: Emitter<EngineEvents>;
  private readonly sessions = new Map<string, GroupSession>();
  private readonly queues = new Map<string, Serial>();
  private receiver: ((m: IncomingPlaintext) => Promise<void>) | null = null;
  private batchReceiver: ((ms: readonly IncomingPlaintext[]) => Promise<void>) | null = null;
  private readonly opts: Required<EngineOptions>;
  private readonly p: Primitives;
  private readonly store: LocalStore;
  private readonly account: DeviceAccount;
  private readonly api: RelayApi;
  private readonly conn: RelayConnection;
  private readonly offs: (() => void)[] = [];
  private closed = false;
  private connState: ConnectionState = 'offline';
  private readonly readyWaiters = new Set<() => void>();
  private readonly probes = new Set<TimerHandle>();

  constructor(private readonly deps: EngineDeps) {
    this.p = deps.p;
    this.store = deps.store;
    this.account = deps.account;
    this.api = deps.api;
    this.conn = deps.connection;
    this.opts = { ...ENGINE_DEFAULTS, ...(deps.options ?? {}) };
    this.events = new Emitter<EngineEvents>();
  }

  get selfId(): Uint8Array {
    return this.account.memberId;
  }

  private get identity(): DeviceIdentity {
    return this.account.identity;
  }

  private now(): number {
    return this.deps.now();
  }

  /** The message layer's clock: now, and how long replaced epochs stay readable. */
  private epochClock(): { now: number; graceMs: number | undefined } {
    return { now: this.now(), graceMs: this.opts.epochGraceMs };
  }

  /** This device's sender and receiver states for `view` (`previous`: the receiver state it replaces). */
  private enterEpoch(view: EpochInput, previous: ReceiverState | null) {
    return startEpoch(this.p, view, this.selfId, previous, this.epochClock());
  }

  // --- lifecycle --------------------------------------------------------------------

  /** Loads every group from the store, repairing a crash between record writes. */
  async load(): Promise<void> {
    const keys = await this.store.keys(GROUP_PREFIX);
    for (const key of keys) {
      const m = /^sdk\/g\/([0-9a-f]{32})\/member$/.exec(key);
      if (!m) continue;
      const hex = m[1]!;
      try {
        const s = await this.loadSession(hex);
        this.sessions.set(hex, s);
      } catch (e) {
        throw sdkError(SDK_STATE_CORRUPT, `group state does not load${isE2eeError(e) ? ` (${e.code})` : ''}`, 'load');
      }
    }
  }

  private async loadSession(hex: string): Promise<GroupSession> {
    const mb = await this.store.get(groupKey(hex, 'member'));
    if (!mb) throw sdkError(SDK_STATE_CORRUPT, 'member record missing', 'load');
    const rec = decodeMemberRecord(this.p, mb);
    const rb = await this.store.get(groupKey(hex, 'recv'));
    const recv = rb ? decodeReceiverRecord(rb) : { messageSeq: 0, anchored: false, state: null };
    const sb = await this.store.get(groupKey(hex, 'send'));
    let sender = sb ? decodeSenderRecord(sb) : null;
    const lb = await this.store.get(groupKey(hex, 'links'));
    const links = lb ? decodeLinks(lb) : [];
    const s = this.newSession(hexToBytes(hex), rec.status, rec.logLength, rec.state);
    s.messageSeq = recv.messageSeq;
    s.savedSeq = recv.messageSeq;
    s.anchored = recv.anchored;
    s.receiver = recv.state;
    s.links = links;
    if (s.status === 'active') {
      // Repair: the member record is written first; a crash before the receiver or sender
      // record leaves them an epoch behind. startEpoch is deterministic in the epoch secret.
      const view = epochView(this.p, rec.state);
      if (view) {
        const recvEpoch = s.receiver?.epochs[0]?.epoch ?? -1;
        if (recvEpoch < view.epoch || !sender || sender.epoch < view.epoch) {
          const st = this.enterEpoch(view, recvEpoch < view.epoch ? s.receiver : null);
          if (recvEpoch < view.epoch) s.receiver = st.receiverState;
          // A sender record behind the epoch never released anything in this epoch: generation 0 is unused.
          if (!sender || sender.epoch < view.epoch) sender = st.senderState;
          await this.persistEpoch(s, sender);
        }
        wipe(view.senderRoot);
      }
      s.sender = sender;
      s.senderWritten = sender;
    }
    return s;
  }

  private newSession(id: Uint8Array, status: GroupStatus, logLength: number, member: GroupMemberState): GroupSession {
    const s: GroupSession = {
      id: id.slice(),
      hex: bytesToHex(id),
      status,
      logLength,
      member,
      sender: null,
      senderWritten: null,
      receiver: null,
      messageSeq: 0,
      anchored: false,
      syncing: false,
      deferred: [],
      batch: [],
      sendRequests: [],
      encryptQueued: false,
      unflushed: 0,
      dirty: false,
      flushQueued: false,
      deliverQueued: false,
      persistTimer: null,
      recordWrites: Promise.resolve(),
      ownSeqs: new Set(),
      recentStates: new Map([[member.public.epoch, member.public]]),
      recentHeads: new Map([[logLength - 1, bytesToHex(member.public.headHash)]]),
      links: [],
      joinRequests: new Map(),
      removedSince: new Set(),
      waiters: new Set(),
      autoTimer: null,
      stuck: false,
      stalled: false,
      savedSeq: 0,
      savedLog: logLength,
      leaving: false,
    };
    return s;
  }

  /** Subscribes to the connection and starts it with this engine's resume cursors. */
  start(): void {
    const c = this.conn;
    this.offs.push(
      c.on('state', (state) => this.onState(state)),
      c.on('logEntry', (e) => this.enqueue(e.groupId, 'logEntry', () => this.onLogEntry(e.groupId, e.index, e.entry, e.envelope))),
      c.on('message', (m) => this.enqueue(m.groupId, 'message', () => this.onMessage(m))),
      c.on('caughtUp', (cu) => this.enqueue(cu.groupId, 'caughtUp', () => this.onCaughtUp(cu.groupId, cu.messageSeq, cu.logLength))),
      c.on('removed', (r) => this.enqueue(r.groupId, 'removed', () => this.onRemoved(r.groupId))),
      c.on('joinRequest', (r) => this.enqueue(r.groupId, 'joinRequest', () => this.onJoinRequest(r.groupId, r.requestId))),
    );
    c.start(() => this.resumeCursors());
  }

  resumeCursors(): { groupId: Uint8Array; messageAfter: number; logFrom: number }[] {
    const out: { groupId: Uint8Array; messageAfter: number; logFrom: number }[] = [];
    for (const s of this.sessions.values()) {
      if (s.status !== 'active') continue;
      out.push({ groupId: s.id.slice(), messageAfter: s.stalled ? s.savedSeq : s.messageSeq, logFrom: s.stalled ? s.savedLog : s.logLength });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    for (const s of this.sessions.values()) {
      if (s.autoTimer !== null) this.deps.clearTimer(s.autoTimer);
      s.autoTimer = null;
      if (s.persistTimer !== null) this.deps.clearTimer(s.persistTimer);
      s.persistTimer = null;
      for (const w of s.waiters) w();
    }
    for (const w of this.readyWaiters) w();
    for (const t of this.probes) this.deps.clearTimer(t);
    // Let queued work finish so nothing is left half persisted.
    await Promise.all([...this.queues.values()].map((q) => q(async () => undefined)));
    for (const s of this.sessions.values()) if (s.dirty) await this.flushReceiver(s, false).catch(() => undefined);
    for (const s of this.sessions.values()) await s.recordWrites;
    this.events.clear();
  }

  private queueOf(hex: string): Serial {
    let q = this.queues.get(hex);
    if (!q) this.queues.set(hex, (q = createSerial()));
    return q;
  }

  /** Runs a frame handler in the group's queue; failures become `error` events. */
  private enqueue(groupId: Uint8Array, operation: string, fn: () => Promise<void>): void {
    if (this.closed) return;
    void this.queueOf(bytesToHex(groupId))(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (error) {
        this.events.emit('error', { groupId: groupId.slice(), operation, error });
      }
    });
  }

  private onState(state: ConnectionState): void {
    this.connState = state;
    if (state === 'ready') {
      for (const s of this.sessions.values()) {
        if (s.status !== 'active') continue;
        s.syncing = true;
        // A rejected entry may have been altered in transit: a resume retries from the log.
        s.stuck = false;
      }
      for (const w of [...this.readyWaiters]) w();
      this.readyWaiters.clear();
      // A group the relay no longer serves (removed or dissolved while offline) gets no
      // CAUGHT_UP: probe it over HTTP after a while.
      const probe = this.deps.setTimer(() => {
        this.probes.delete(probe);
        for (const s of this.sessions.values()) {
          if (s.status === 'active' && s.syncing) this.enqueue(s.id, 'probe', () => this.probe(s));
        }
      }, this.opts.resumeProbeMs);
      this.probes.add(probe);
      for (const s of this.sessions.values()) {
        if (s.status !== 'active') continue;
        this.enqueue(s.id, 'resolvePending', async () => {
          await this.resolvePending(s);
        });
        if (s.links.length) this.enqueue(s.id, 'joinRequests', () => this.scanJoinRequests(s));
      }
    }
    this.events.emit('connection', { state });
  }

  private async probe(s: GroupSession): Promise<void> {
    if (s.status !== 'active' || !s.syncing || this.connState !== 'ready') return;
    s.syncing = false;
    if (s.dirty || s.batch.length) this.markDirty(s);
    try {
      await this.fetchLog(s);
    } catch (e) {
      const rel = relayErrorOf(e);
      if (rel === 'NOT_MEMBER') await this.onRemoved(s.id);
      else if (rel === 'GROUP_DISSOLVED') await this.markGone(s, 'dissolved');
      else throw e;
    }
  }

  private waitReady(timeoutMs: number): Promise<void> {
    if (this.connState === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.deps.clearTimer(t);
        this.readyWaiters.delete(done);
        if (this.closed) reject(sdkError(SDK_CLOSED, 'the client was closed', 'send'));
        else resolve();
      };
      const t = this.deps.setTimer(() => {
        this.readyWaiters.delete(done);
        reject(sdkError(SDK_TIMEOUT, 'no connection to the relay', 'send'));
      }, timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  private session(groupId: Uint8Array | string, operation: string): GroupSession {
    if (this.closed) throw sdkError(SDK_CLOSED, 'the client was closed', operation);
    const hex = typeof groupId === 'string' ? groupId.toLowerCase() : bytesToHex(groupId);
    const s = this.sessions.get(hex);
    if (!s) throw sdkError(SDK_UNKNOWN_GROUP, 'no such group on this device', operation);
    return s;
  }

  private active(groupId: Uint8Array | string, operation: string): GroupSession {
    const s = this.session(groupId, operation);
    if (s.status !== 'active') throw sdkError(SDK_NOT_ACTIVE, `the group is ${s.status} on this device`, operation);
    if (s.stalled) throw sdkError(SDK_NOT_ACTIVE, 'the group stopped after a receiver failure: restart the client', operation);
    return s;
  }

  // --- persistence ------------------------------------------------------------------

  private async persistMember(s: GroupSession): Promise<void> {
    if (s.stalled) return;
    await this.store.put(groupKey(s.hex, 'member'), encodeMemberRecord({ status: s.status, logLength: s.logLength, state: s.member }));
    s.savedLog = s.logLength;
  }

  /**
   * Writes the receiver record (cursor and chains). Messages still waiting for the batch
   * receiver are handed over first: the cursor never moves past a message the receiver
   * has not resolved, whoever writes the record (a flush, or an entry's new epoch).
   */
  private async persistReceiver(s: GroupSession): Promise<void> {
    await (await this.startReceiverWrite(s)).done;
  }

  /**
   * Hands the waiting messages over, takes the receiver record as it is now and starts
   * writing it after the group's earlier record writes. Resolves once the write has
   * started; `done` settles with it, to the written cursor (null when nothing was written:
   * the group is stalled). A failed write marks the record dirty again, for the next flush.
   */
  private async startReceiverWrite(s: GroupSession): Promise<{ done: Promise<number | null> }> {
    if (s.stalled) return { done: Promise.resolve(null) };
    await this.handOver(s);
    if (s.stalled) return { done: Promise.resolve(null) };
    const seq = s.messageSeq;
    const record = encodeReceiverRecord({ messageSeq: seq, anchored: s.anchored, state: s.receiver });
    s.dirty = false;
    const written = s.recordWrites.then(() => this.store.put(groupKey(s.hex, 'recv'), record)).then(
      () => {
        if (seq > s.savedSeq) s.savedSeq = seq;
        return seq;
      },
      (e: unknown) => {
        s.dirty = true;
        throw e;
      },
    );
    s.recordWrites = written.then(
      () => undefined,
      () => undefined,
    );
    return { done: written };
  }

  /** Hands the messages waiting for the batch receiver over (a failure stalls the group). */
  private async handOver(s: GroupSession): Promise<void> {
    s.deliverQueued = false;
    if (s.stalled || !s.batch.length || !this.batchReceiver) return;
    const batch = s.batch;
    s.batch = [];
    try {
      await this.batchReceiver(batch);
    } catch (e) {
      s.stalled = true;
      throw e;
    }
  }

  /** Receiver record, then sender record (the member record is already written). */
  private async persistEpoch(s: GroupSession, sender: SenderState | null): Promise<void> {
    await this.persistReceiver(s);
    if (s.stalled) return;
    await this.store.put(groupKey(s.hex, 'send'), encodeSenderRecord(sender));
    s.senderWritten = sender;
  }

  private async flushReceiver(s: GroupSession, ack = true): Promise<void> {
    await (await this.startFlush(s, ack)).done;
  }

  /**
   * A live flush: holds the group's queue only to hand the messages over and take the
   * record. The record write and the ACK that follows it run on their own, so a message
   * arriving meanwhile is not held behind the disk. The ACK names the written cursor,
   * never a later one. A failed write is reported as the flush's error.
   */
  private async flushInBackground(s: GroupSession): Promise<void> {
    const { done } = await this.startFlush(s, true);
    done.catch((error: unknown) => {
      if (!this.closed) this.events.emit('error', { groupId: s.id.slice(), operation: 'flush', error });
    });
  }

  /** Starts a flush of the receiver record (and its ACK); resolves once it has started. */
  private async startFlush(s: GroupSession, ack: boolean): Promise<{ done: Promise<void> }> {
    s.flushQueued = false;
    if (s.persistTimer !== null) this.deps.clearTimer(s.persistTimer);
    s.persistTimer = null;
    if (s.stalled) return { done: Promise.resolve() };
    s.unflushed = 0;
    if (!s.dirty && !s.batch.length) return { done: Promise.resolve() };
    const { done } = await this.startReceiverWrite(s);
    return {
      done: done.then((seq) => {
        if (ack && seq !== null && seq > 0 && s.status === 'active' && !this.closed) this.conn.ack(s.id, seq);
      }),
    };
  }

  private markDirty(s: GroupSession): void {
    s.dirty = true;
    s.unflushed++;
    // While catching up, write (and ACK) every MAX_BATCH messages and at CAUGHT_UP, not at
    // every pause between frames: one store write per run instead of one per few messages.
    if (s.syncing && s.unflushed < MAX_BATCH) return;
    if (!s.syncing && s.unflushed < MAX_BATCH) {
      // Live: the receiver gets the message now (the event is not held behind a record
      // write); the record write and the ACK follow, coalesced, within persistDelayMs.
      if (s.batch.length && !s.deliverQueued) {
        s.deliverQueued = true;
        this.enqueue(s.id, 'deliver', () => this.handOver(s));
      }
      if (s.persistTimer === null && !s.flushQueued) {
        s.persistTimer = this.deps.setTimer(() => {
          s.persistTimer = null;
          if (s.flushQueued) return;
          s.flushQueued = true;
          this.enqueue(s.id, 'flush', () => this.flushInBackground(s));
        }, this.persistDelay());
      }
      return;
    }
    if (s.flushQueued) return;
    s.flushQueued = true;
    this.enqueue(s.id, 'flush', () => this.flushReceiver(s));
  }

  // --- log entries ----------------------------------------------------------------------

  private async onLogEntry(groupId: Uint8Array, index: number, entry: Uint8Array, envelope: Uint8Array): Promise<void> {
    const s = this.sessions.get(bytesToHex(groupId));
    if (!s || s.status !== 'active') {
      if (envelope.length > 0) await this.tryJoin(groupId, index, entry, envelope);
      return;
    }
    if (s.stuck || s.stalled) return;
    if (index < s.logLength) {
      const known = s.recentHeads.get(index);
      if (known && known !== bytesToHex(headHashOfEntry(this.p, entry))) {
        this.alarm({ groupId: s.id, kind: 'fork', code: BROKEN_CHAIN, epoch: entryEpochOf(entry) });
      }
      return;
    }
    if (s.syncing) {
      s.deferred.push({ index, entry, envelope });
      return;
    }
    await this.applyAt(s, index, entry, envelope);
  }

  /** Applies the entry at `index`, first filling any gap from the relay's log. */
  private async applyAt(s: GroupSession, index: number, entry: Uint8Array, envelope: Uint8Array): Promise<void> {
    if (index > s.logLength) await this.fetchLog(s, index);
    if (index !== s.logLength || s.status !== 'active' || s.stuck) return;
    await this.applyEntry(s, entry, envelope);
  }

  /** Applies held-back entries, in order, up to epoch `upTo` (all when Infinity). */
  private async applyDeferred(s: GroupSession, upTo: number): Promise<void> {
    while (s.deferred.length && s.status === 'active' && !s.stuck) {
      const d = s.deferred[0]!;
      if (entryEpochOf(d.entry) > upTo) return;
      s.deferred.shift();
      if (d.index < s.logLength) continue;
      await this.applyAt(s, d.index, d.entry, d.envelope);
    }
  }

  /** Fetches and applies log entries from the current length, up to (excluding) `until`, or to the head. */
  private async fetchLog(s: GroupSession, until = Infinity): Promise<void> {
    await this.applyDeferred(s, Infinity);
    for (;;) {
      if (s.status !== 'active' || s.stuck || s.logLength >= until) return;
      const page = await this.api.fetchLog(s.id, s.logLength, LOG_PAGE);
      let progressed = false;
      for (const it of page.items) {
        if (it.index >= until) return;
        if (it.index !== s.logLength) continue;
        await this.applyEntry(s, it.entry, it.envelope);
        progressed = true;
        if (s.status !== 'active' || s.stuck) return;
      }
      if (!page.more || !progressed) return;
    }
  }

  private async applyEntry(s: GroupSession, entry: Uint8Array, envelope: Uint8Array): Promise<void> {
    let res;
    try {
      res = processEntry(this.p, s.member, this.account.prekeys, entry, envelope.length ? envelope : null);
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      s.stuck = true;
      this.alarm({ groupId: s.id, kind: e.code === BROKEN_CHAIN ? 'fork' : 'rejected-entry', code: e.code, epoch: entryEpochOf(entry) });
      return;
    }
    if (res.duplicate) {
      s.logLength++;
      await this.persistMember(s);
      return;
    }
    // The member record first: a crash before the prekey store is saved keeps a used
    // one-time prekey a little longer, while the reverse order would lose the entry.
    await this.adopt(s, res.state, s.logLength + 1, entry);
    await this.account.savePrekeys(res.prekeys);
  }

  /** Takes a new member state after the entry at logLength-1: enters the epoch, persists, raises events. */
  private async adopt(s: GroupSession, next: GroupMemberState, logLength: number, entryBytes: Uint8Array): Promise<void> {
    const entry = decodeLogEntry(entryBytes);
    const before = s.member.public;
    s.member = next;
    s.logLength = logLength;
    s.recentHeads.set(logLength - 1, bytesToHex(next.public.headHash));
    if (s.recentHeads.size > 64) s.recentHeads.delete(s.recentHeads.keys().next().value!);
    s.recentStates.set(next.public.epoch, next.public);
    if (s.recentStates.size > RECENT_EPOCH_STATES) s.recentStates.delete(s.recentStates.keys().next().value!);

    if (next.removed || next.public.dissolved) {
      s.status = next.removed ? (s.leaving || memberOf(before, this.selfId)?.leaveRequested ? 'left' : 'removed') : 'dissolved';
      s.sender = null;
      s.receiver = null;
      s.deferred = [];
      await this.persistMember(s);
      await this.persistEpoch(s, null);
    } else {
      await this.persistMember(s);
      const view = epochView(this.p, next);
      if (view) {
        const st = this.enterEpoch(view, s.receiver);
        wipe(view.senderRoot);
        s.receiver = st.receiverState;
        s.sender = st.senderState;
        await this.persistEpoch(s, s.sender);
      } else {
        s.sender = null;
        await this.store.put(groupKey(s.hex, 'send'), encodeSenderRecord(null));
      }
      if (next.alarm) {
        this.alarm({ groupId: s.id, kind: 'commit-unverifiable', code: next.alarm.code, epoch: next.alarm.epoch, reason: next.alarm.reason });
      }
    }
    this.raiseEntryEvents(s, before, next, entry);
    for (const w of [...s.waiters]) w();
    this.scheduleAuto(s);
  }

  private raiseEntryEvents(s: GroupSession, before: PublicGroupState, next: GroupMemberState, entry: LogEntry): void {
    const membership = (kind: MembershipKind, members: Uint8Array[], role?: Role) => {
      const e: MembershipEvent = { groupId: s.id.slice(), kind, epoch: entry.epoch, actor: entry.actor.slice(), members };
      if (role) e.role = role;
      this.events.emit('membership', e);
    };
    const b = entry.body;
    switch (b.kind) {
      case 'add':
        membership('added', next.public.members.filter((m) => !isMember(before, m.memberId)).map((m) => m.memberId.slice()));
        break;
      case 'remove':
        // A join request of a removed member that is still queued here (a delayed open-link
        // admit) must not bring it back: forget it, and never auto-admit it again.
        for (const id of b.memberIds) s.removedSince.add(bytesToHex(id));
        for (const [rid, r] of s.joinRequests) if (s.removedSince.has(bytesToHex(r.memberId))) s.joinRequests.delete(rid);
        membership('removed', b.memberIds.map((x) => x.slice()));
        break;
      case 'leave-request':
        membership('leave-requested', [entry.actor.slice()]);
        break;
      case 'role':
        membership('role', [b.memberId.slice()], b.role);
        break;
      case 'transfer-ownership':
        membership('owner', [b.newOwner.slice()], 'owner');
        break;
      case 'policy':
        membership('policy', []);
        break;
      case 'dissolve':
        membership('dissolved', []);
        break;
      case 'group-info':
        if (next.groupInfo && !next.removed) this.events.emit('groupInfo', { groupId: s.id.slice(), info: next.groupInfo });
        break;
      default:
        break;
    }
    if (s.status !== 'active') this.events.emit('status', { groupId: s.id.slice(), status: s.status });
  }

  private alarm(a: AlarmEvent): void {
    this.events.emit('alarm', { ...a, groupId: a.groupId ? a.groupId.slice() : null });
  }

  private async tryJoin(groupId: Uint8Array, index: number, entry: Uint8Array, envelope: Uint8Array): Promise<void> {
    let kind: string;
    try {
      kind = decodeLogEntry(entry).body.kind;
    } catch {
      return;
    }
    if (kind !== 'add') return;
    let res;
    try {
      res = joinFromWelcome(this.p, this.selfId, this.account.prekeys, entry, envelope);
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      this.alarm({ groupId, kind: 'welcome-unverifiable', code: e.code, epoch: entryEpochOf(entry) });
      return;
    }
    const s = this.newSession(groupId, 'active', index + 1, res.state);
    const old = this.sessions.get(s.hex);
    if (old) s.links = old.links;
    // The relay sends the log before the messages of a new group: hold entries until CAUGHT_UP.
    s.syncing = this.connState === 'ready';
    await this.persistMember(s);
    const view = epochView(this.p, res.state)!;
    const st = this.enterEpoch(view, null);
    wipe(view.senderRoot);
    s.receiver = st.receiverState;
    s.sender = st.senderState;
    await this.persistEpoch(s, s.sender);
    await this.account.savePrekeys(res.prekeys);
    this.sessions.set(s.hex, s);
    const decoded = decodeLogEntry(entry);
    this.events.emit('status', { groupId: s.id.slice(), status: 'active' });
    this.events.emit('membership', {
      groupId: s.id.slice(),
      kind: 'joined',
      epoch: decoded.epoch,
      actor: decoded.actor.slice(),
      members: [this.selfId.slice()],
    });
    if (res.state.groupInfo) this.events.emit('groupInfo', { groupId: s.id.slice(), info: res.state.groupInfo });
    this.scheduleAuto(s);
  }

  private async onCaughtUp(groupId: Uint8Array, messageSeq: number, logLength: number): Promise<void> {
    const s = this.sessions.get(bytesToHex(groupId));
    if (!s || s.status !== 'active') return;
    s.syncing = false;
    if (s.dirty || s.batch.length) this.markDirty(s);
    await this.applyDeferred(s, Infinity);
    // (logLength below ours is no fork: CAUGHT_UP may predate this device's own append.)
    void logLength;
    if (messageSeq > s.messageSeq) {
      // Everything up to messageSeq was delivered; what did not arrive was deleted by retention.
      if (s.anchored) this.reportGap(s, s.messageSeq + 1, messageSeq);
      s.messageSeq = messageSeq;
      s.anchored = true;
      this.markDirty(s);
    } else if (!s.anchored) {
      s.anchored = true;
      this.markDirty(s);
    }
    this.scheduleAuto(s);
  }

  private reportGap(s: GroupSession, from: number, to: number): void {
    let a = from;
    let b = to;
    while (a <= b && s.ownSeqs.has(a)) a++;
    while (b >= a && s.ownSeqs.has(b)) b--;
    if (a <= b) this.events.emit('gap', { groupId: s.id.slice(), fromSeq: a, toSeq: b });
  }

  private async onRemoved(groupId: Uint8Array): Promise<void> {
    const s = this.sessions.get(bytesToHex(groupId));
    if (!s || s.status !== 'active') return;
    await this.markGone(s, s.leaving || memberOf(s.member.public, this.selfId)?.leaveRequested ? 'left' : 'removed');
  }

  private async markGone(s: GroupSession, status: GroupStatus): Promise<void> {
    s.status = status;
    s.member = { ...s.member, epochSecret: null, alarm: null, removed: true };
    s.sender = null;
    s.receiver = null;
    s.deferred = [];
    await this.persistMember(s);
    await this.persistEpoch(s, null);
    this.events.emit('status', { groupId: s.id.slice(), status: s.status });
    for (const w of [...s.waiters]) w();
  }

  // --- messages -------------------------------------------------------------------------

  private async onMessage(m: { groupId: Uint8Array; seq: number; sender: Uint8Array; epoch: number; sentAt: number; ciphertext: Uint8Array }): Promise<void> {
    const s = this.sessions.get(bytesToHex(m.groupId));
    if (!s || s.status !== 'active' || s.stuck || s.stalled) return;
    if (m.seq <= s.messageSeq) return;
    if (s.anchored && m.seq > s.messageSeq + 1) this.reportGap(s, s.messageSeq + 1, m.seq - 1);
    s.anchored = true;
    if (equalBytes(m.sender, this.selfId)) {
      this.advance(s, m.seq);
      return;
    }
    if (s.deferred.length) await this.applyDeferred(s, m.epoch);
    if (s.status !== 'active' || !s.receiver) return;
    let dec;
    try {
      dec = decryptGroupMessage(this.p, s.receiver, m.ciphertext, this.epochClock());
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      let retried = false;
      if (e.code === UNKNOWN_EPOCH && m.epoch > s.member.public.epoch) {
        await this.fetchLog(s);
        if (s.status === 'active' && s.receiver) {
          try {
            dec = decryptGroupMessage(this.p, s.receiver, m.ciphertext, this.epochClock());
            retried = true;
          } catch (e2) {
            if (!isE2eeError(e2)) throw e2;
            e = e2;
          }
        }
      }
      if (!retried) {
        if (!isE2eeError(e) || e.code !== OWN_MESSAGE) {
          this.alarm({ groupId: s.id, kind: 'undecryptable-message', code: isE2eeError(e) ? e.code : 'E2E_ERR_MALFORMED', seq: m.seq, sender: m.sender, epoch: m.epoch });
        }
        this.advance(s, m.seq);
        return;
      }
    }
    if (!dec) return;
    s.receiver = dec.nextState;
    const pt = dec.plaintext;
    const state = s.recentStates.get(dec.header.epoch) ?? s.member.public;
    if (pt.length === 0 || (pt[0] !== FRAME_APP && pt[0] !== FRAME_CONTROL)) {
      this.alarm({ groupId: s.id, kind: 'undecryptable-message', code: 'E2E_ERR_MALFORMED', seq: m.seq, sender: dec.sender.memberId, epoch: dec.header.epoch });
    } else if (!canSendMessage(state, dec.sender.memberId)) {
      this.alarm({ groupId: s.id, kind: 'forbidden-message', code: SDK_MUTED, seq: m.seq, sender: dec.sender.memberId, epoch: dec.header.epoch });
    } else if (pt[0] === FRAME_CONTROL) {
      await this.onControl(s, pt, dec.sender.memberId);
    } else {
      const incoming: IncomingPlaintext = {
        groupId: s.id.slice(),
        seq: m.seq,
        sender: dec.sender.memberId.slice(),
        epoch: dec.header.epoch,
        sentAt: m.sentAt,
        plaintext: pt.subarray(1),
        state,
      };
      if (this.batchReceiver) {
        s.batch.push(incoming);
      } else if (this.receiver) {
        try {
          await this.receiver(incoming);
        } catch (e) {
          s.stalled = true;
          throw e;
        }
      }
      else this.events.emit('plaintext', incoming);
    }
    this.advance(s, m.seq);
    // The cursor and the chains are written together, after the message is counted in.
    if (s.batch.length >= MAX_BATCH) await this.flushReceiver(s);
  }

  private advance(s: GroupSession, seq: number): void {
    if (seq > s.messageSeq) s.messageSeq = seq;
    while (s.ownSeqs.has(s.messageSeq + 1)) {
      s.ownSeqs.delete(s.messageSeq + 1);
      s.messageSeq++;
    }
    for (const o of s.ownSeqs) if (o <= s.messageSeq) s.ownSeqs.delete(o);
    this.markDirty(s);
  }

  private async onControl(s: GroupSession, pt: Uint8Array, sender: Uint8Array): Promise<void> {
    let c;
    try {
      c = decodeControl(pt);
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      return;
    }
    if (c.expiresAt <= this.now()) return;
    if (s.links.some((l) => equalBytes(l.inviteId, c.inviteId))) return;
    await this.saveLinks(s, [...s.links, { inviteId: c.inviteId, linkSecret: c.linkSecret, expiresAt: c.expiresAt }]);
    void sender;
  }

  private async saveLinks(s: GroupSession, links: StoredLink[]): Promise<void> {
    const now = this.now();
    const kept = links.filter((l) => l.expiresAt > now).slice(-MAX_LINKS_PER_GROUP);
    await this.store.put(groupKey(s.hex, 'links'), encodeLinks(kept));
    s.links = kept;
  }

  // --- GroupMessaging -----------------------------------------------------------------

  setReceiver(receiver: (m: IncomingPlaintext) => Promise<void>): void {
    if (typeof receiver !== 'function') throw new TypeError('"receiver" expected a function');
    this.receiver = receiver;
  }

  /**
   * Receives runs of messages (one queue drain, at most MAX_BATCH) instead of one at a time;
   * when set, the single receiver is not called. ACKed after the returned promise resolves.
   */
  setBatchReceiver(receiver: (ms: readonly IncomingPlaintext[]) => Promise<void>): void {
    if (typeof receiver !== 'function') throw new TypeError('"receiver" expected a function');
    this.batchReceiver = receiver;
  }

  publicState(groupId: Uint8Array): PublicGroupState | undefined {
    const s = this.sessions.get(bytesToHex(groupId));
    return s && s.status === 'active' ? s.member.public : undefined;
  }

  groupInfo(groupId: Uint8Array): GroupInfo | undefined {
    return this.sessions.get(bytesToHex(groupId))?.member.groupInfo ?? undefined;
  }

  uploadBlob(groupId: Uint8Array, blob: Uint8Array): Promise<Uint8Array> {
    this.active(groupId, 'uploadBlob');
    return this.api.uploadBlob(groupId, blob);
  }

  downloadBlob(blobId: Uint8Array): Promise<Uint8Array> {
    return this.api.downloadBlob(blobId);
  }

  sendPlaintext(groupId: Uint8Array, plaintext: Uint8Array, clientMessageId: Uint8Array): Promise<SentPlaintext> {
    if (!(plaintext instanceof Uint8Array)) throw new TypeError('"plaintext" expected Uint8Array');
    if (!(clientMessageId instanceof Uint8Array) || clientMessageId.length !== 16) throw new RangeError('"clientMessageId" expected 16 bytes');
    return this.sendFramed(groupId, concatBytes(Uint8Array.of(FRAME_APP), plaintext), clientMessageId);
  }

  private waitChange(s: GroupSession, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        s.waiters.delete(done);
        this.deps.clearTimer(t);
        resolve();
      };
      const t = this.deps.setTimer(() => {
        s.waiters.delete(done);
        reject(sdkError(SDK_TIMEOUT, 'a pending removal was not committed in time', 'send'));
      }, Math.max(1, timeoutMs));
      s.waiters.add(done);
    });
  }

  private async sendFramed(groupId: Uint8Array, framed: Uint8Array, clientMessageId: Uint8Array): Promise<SentPlaintext> {
    const op = 'sendPlaintext';
    const s = this.active(groupId, op);
    const deadline = this.now() + this.opts.sendWaitMs;
    for (let attempt = 0; attempt < 12; attempt++) {
      const prep = await this.prepareSend(s, framed);
      if (!prep) {
        // A leave or removal is pending: the removal is committed (by this device or
        // another) before anyone sends again.
        this.scheduleAuto(s, true);
        await this.waitChange(s, deadline - this.now());
        continue;
      }
      for (let net = 0; net < 6; net++) {
        try {
          const r = await this.conn.send(s.id, clientMessageId, prep.bytes);
          this.noteOwnSeq(s, r.seq);
          return { seq: r.seq, epoch: prep.epoch };
        } catch (e) {
          const rel = relayErrorOf(e);
          if (rel === 'STALE_EPOCH' || rel === 'FUTURE_EPOCH') {
            await this.queueOf(s.hex)(() => this.fetchLog(s));
            break;
          }
          if (isNetError(e) && this.now() < deadline) {
            await this.waitReady(Math.max(1, deadline - this.now()));
            continue;
          }
          throw e;
        }
      }
      if (this.now() > deadline) break;
    }
    throw sdkError(SDK_SEND_FAILED, 'the message could not be sent', op);
  }

  /**
   * Encrypts a send in the group's queue. Sends waiting at the same time are encrypted
   * together, and a sender-record write is needed only when the run passes the last
   * reservation (the written state must be past every generation of the run, which is
   * what release() asks), so a burst costs one fsync per SENDER_RESERVATION sends.
   * Resolves null while a removal is pending.
   */
  private prepareSend(s: GroupSession, framed: Uint8Array): Promise<{ bytes: Uint8Array; epoch: number } | null> {
    return new Promise((resolve, reject) => {
      s.sendRequests.push({ framed, resolve, reject });
      if (s.encryptQueued) return;
      s.encryptQueued = true;
      void this.queueOf(s.hex)(() => this.encryptPending(s));
    });
  }

  private async encryptPending(s: GroupSession): Promise<void> {
    const op = 'sendPlaintext';
    s.encryptQueued = false;
    const reqs = s.sendRequests.splice(0);
    try {
      if (this.closed) throw sdkError(SDK_CLOSED, 'the client was closed', op);
      if (s.status !== 'active' || s.stalled) throw sdkError(SDK_NOT_ACTIVE, `the group is not active on this device`, op);
      if (s.member.alarm || !s.sender) throw sdkError(SDK_ALARM, 'the group waits for a rotation after an unverifiable commit', op);
      if (!canSendInEpoch(s.member)) {
        if (hasPendingRemoval(s.member)) {
          for (const r of reqs) r.resolve(null);
          return;
        }
        throw sdkError(SDK_NOT_ACTIVE, 'this member cannot send in this group', op);
      }
      if (!canSendMessage(s.member.public, this.selfId)) throw sdkError(SDK_MUTED, 'this member is muted in this group', op);
      let state = s.sender;
      const done: { r: (typeof reqs)[number]; release: (p: SenderState) => Uint8Array }[] = [];
      for (const r of reqs) {
        try {
          const enc = encryptGroupMessage(this.p, state, r.framed, { identitySeed: this.identity.seed });
          state = enc.nextState;
          done.push({ r, release: (ps) => enc.release(ps) });
        } catch (e) {
          r.reject(e);
        }
      }
      if (done.length === 0) return;
      // One write covers a run of sends: the record goes SENDER_RESERVATION generations
      // ahead, and later sends are released against it until the chain reaches it.
      let written = s.senderWritten;
      // (A new epoch's state is written by persistEpoch, which resets senderWritten.)
      if (!written || written.epoch !== state.epoch || written.generation < state.generation) {
        written = reserveSenderState(this.p, state, SENDER_RESERVATION);
        await this.store.put(groupKey(s.hex, 'send'), encodeSenderRecord(written));
        s.senderWritten = written;
      }
      s.sender = state;
      for (const d of done) d.r.resolve({ bytes: d.release(written), epoch: state.epoch });
    } catch (e) {
      for (const r of reqs) r.reject(e);
    }
  }

  private noteOwnSeq(s: GroupSession, seq: number): void {
    if (seq <= s.messageSeq) return;
    s.ownSeqs.add(seq);
    this.enqueue(s.id, 'ownSeq', async () => {
      if (s.status === 'active' && !s.syncing && s.ownSeqs.has(s.messageSeq + 1)) this.advance(s, s.messageSeq);
    });
  }

  // --- commits ----------------------------------------------------------------------

  /**
   * Builds a commit on the current head, persists it as pending, appends it; on
   * HEAD_MISMATCH processes the winner and builds again. Must run inside the group queue.
   * `build` returns null when the commit is no longer needed (e.g. after a rebase).
   */
  private async commitLocked(s: GroupSession, op: string, build: (state: GroupMemberState) => Promise<CommitResult | null>): Promise<boolean> {
    for (let attempt = 0; attempt < this.opts.maxCommitAttempts; attempt++) {
      if (this.closed) throw sdkError(SDK_CLOSED, 'the client was closed', op);
      if (s.status !== 'active' || s.stalled) throw sdkError(SDK_NOT_ACTIVE, `the group is not active on this device`, op);
      await this.applyDeferred(s, Infinity);
      const result = await build(s.member);
      if (!result) return false;
      const pending: PendingCommit = { index: s.logLength, entry: result.entry, envelopes: result.envelopes, state: result.state };
      await this.store.put(groupKey(s.hex, 'pending'), encodePendingCommit(pending));
      let resp;
      try {
        resp = await this.api.appendLog(s.id, { expectedHead: s.member.public.headHash, entry: result.entry, envelopes: result.envelopes });
      } catch (e) {
        if (relayErrorOf(e) === 'HEAD_MISMATCH') {
          await this.store.delete(groupKey(s.hex, 'pending'));
          await this.fetchLog(s);
          continue;
        }
        if (isNetError(e)) {
          // Accepted or not? The pending record decides once the relay answers again.
          try {
            if (await this.resolvePending(s)) return true;
          } catch {
            throw e;
          }
          continue;
        }
        await this.store.delete(groupKey(s.hex, 'pending'));
        throw e;
      }
      if (resp.index !== pending.index) this.alarm({ groupId: s.id, kind: 'fork', code: BROKEN_CHAIN, epoch: s.member.public.epoch });
      await this.adopt(s, result.state, resp.index + 1, result.entry);
      await this.store.delete(groupKey(s.hex, 'pending'));
      return true;
    }
    throw sdkError(SDK_COMMIT_RACE, 'the commit lost the race too many times', op);
  }

  /** Adopts or discards a pending commit by comparing the relay's log. Runs in the group queue. */
  private async resolvePending(s: GroupSession): Promise<boolean> {
    const bytes = await this.store.get(groupKey(s.hex, 'pending'));
    if (!bytes) return false;
    const pending = decodePendingCommit(this.p, bytes);
    if (pending.index !== s.logLength || s.status !== 'active') {
      await this.store.delete(groupKey(s.hex, 'pending'));
      return false;
    }
    const page = await this.api.fetchLog(s.id, pending.index, 1);
    const item = page.items.find((it) => it.index === pending.index);
    let adopted = false;
    if (item && equalBytes(headHashOfEntry(this.p, item.entry), headHashOfEntry(this.p, pending.entry))) {
      await this.adopt(s, pending.state, pending.index + 1, pending.entry);
      adopted = true;
    }
    await this.store.delete(groupKey(s.hex, 'pending'));
    return adopted;
  }

  /**
   * The signed prekeys of `ids` (cached while fresh, else fetched from the relay in batches
   * of signed bundles, which consume no one-time prekey), verified and checked against the
   * public state.
   */
  private async prekeysFor(state: GroupMemberState, ids: Uint8Array[]): Promise<PrekeyLookup> {
    const map = new Map<string, RecipientPrekey>();
    const now = this.now();
    const missing: Uint8Array[] = [];
    for (const id of ids) {
      const cached = this.account.cachedBundle(id, now);
      if (cached) map.set(bytesToHex(id), { prekeyKind: 'signed', prekeyId: cached.signedPrekey.id, prekey: cached.signedPrekey.publicKey });
      else missing.push(id);
    }
    // A few requests rather than one, so that the bundles of the first are verified while
    // the others are on the way; at most 10 at once (WeChat's limit of concurrent wx.request).
    const size = Math.min(MAX_PREKEY_BUNDLES_PER_REQUEST, Math.max(PREKEY_BATCH_MIN, Math.ceil(missing.length / PREKEY_BATCHES)));
    const batches: Uint8Array[][] = [];
    for (let i = 0; i < missing.length; i += size) batches.push(missing.slice(i, i + size));
    const CONCURRENCY = 10;
    for (let i = 0; i < batches.length; i += CONCURRENCY) {
      await Promise.all(
        batches.slice(i, i + CONCURRENCY).map(async (batch) => {
          const items = await this.api.fetchPrekeyBundles(state.public.groupId, batch);
          for (const it of items) {
            if (decodePrekeyBundle(it.bundle).oneTimePrekey) throw sdkError(SDK_NO_PREKEY, 'the relay answered a signed bundle with a one-time prekey', 'prekeys');
            const b = await this.account.acceptSignedBundle(it.memberId, it.bundle, now);
            map.set(bytesToHex(it.memberId), { prekeyKind: 'signed', prekeyId: b.signedPrekey.id, prekey: b.signedPrekey.publicKey });
          }
        }),
      );
    }
    for (const id of ids) {
      if (!map.has(bytesToHex(id))) throw sdkError(SDK_NO_PREKEY, 'the relay has no prekey for a member', 'prekeys');
      const m = memberOf(state.public, id);
      const known = this.account.peer(id);
      if (m && known && !equalBytes(m.identityKey, known.identityKey)) throw sdkError(SDK_NO_PREKEY, 'a prekey does not match the member', 'prekeys');
    }
    return (id) => map.get(bytesToHex(id));
  }

  private async claimBundle(memberId: Uint8Array): Promise<PrekeyBundle> {
    const bytes = await this.api.claimPrekey(memberId);
    if (!bytes) throw sdkError(SDK_NO_PREKEY, 'the relay has no prekey for this member', 'claimPrekey');
    return this.account.acceptBundle(memberId, bytes, this.now());
  }

  private othersOf(state: GroupMemberState, excluding: readonly Uint8Array[] = []): Uint8Array[] {
    return state.public.members
      .filter((m) => !equalBytes(m.memberId, this.selfId) && !excluding.some((x) => equalBytes(x, m.memberId)))
      .map((m) => m.memberId);
  }

  /** Runs a user commit in the group's queue. */
  private userCommit(groupId: Uint8Array | string, op: string, build: (state: GroupMemberState) => Promise<CommitResult | null>): Promise<boolean> {
    const s = this.active(groupId, op);
    return this.queueOf(s.hex)(() => this.commitLocked(s, op, build));
  }

  /**
   * Background commits the group needs: the removal of members who asked to leave, and a
   * rotation after an alarm. After a random delay (or at once when a send waits), by the
   * first member whose client gets there; the others see the winner and drop theirs.
   */
  private scheduleAuto(s: GroupSession, now = false): void {
    if (this.closed || s.status !== 'active' || s.stuck || s.stalled || s.syncing) return;
    const st = s.member;
    const me = memberOf(st.public, this.selfId);
    if (!me || me.leaveRequested) return;
    const needsRemoval = hasPendingRemoval(st.public);
    const needsRotation = !!st.alarm;
    if (!needsRemoval && !needsRotation) return;
    if (s.autoTimer !== null) {
      if (!now) return;
      this.deps.clearTimer(s.autoTimer);
    }
    const delay = now ? 0 : Math.floor(this.jitter() * this.opts.autoCommitJitterMs);
    s.autoTimer = this.deps.setTimer(() => {
      s.autoTimer = null;
      this.enqueue(s.id, 'autoCommit', async () => {
        if (s.status !== 'active') return;
        try {
          if (hasPendingRemoval(s.member.public)) {
            await this.commitLocked(s, 'commitLeaveRemoval', async (state) => {
              const leavers = pendingLeavers(state.public);
              if (leavers.length === 0) return null;
              return commitLeaveRemoval(this.p, this.identity, state, await this.prekeysFor(state, this.othersOf(state, leavers)));
            });
          }
          if (s.member.alarm && s.status === 'active') {
            await this.commitLocked(s, 'commitRotate', async (state) => {
              if (!state.alarm) return null;
              return commitRotate(this.p, this.identity, state, await this.prekeysFor(state, this.othersOf(state)));
            });
          }
        } catch (e) {
          // Still needed (a network failure, a lost race run): try again later, whoever gets there first.
          if (!this.closed && s.autoTimer === null) {
            s.autoTimer = this.deps.setTimer(() => {
              s.autoTimer = null;
              this.scheduleAuto(s, true);
            }, AUTO_RETRY_MS + Math.floor(this.jitter() * this.opts.autoCommitJitterMs));
          }
          throw e;
        }
      });
    }, delay);
  }

  /**
   * Between half and all of persistDelayMs, at random: the groups of a device (or the many
   * clients of one process, as in the send-latency bench) that receive one message at the
   * same moment would otherwise write their receiver records in the same millisecond every
   * time, a burst of record writes in front of the next message.
   */
  private persistDelay(): number {
    const d = this.opts.persistDelayMs;
    return Math.floor(d / 2 + (d / 2) * this.jitter());
  }

  private jitter(): number {
    const b = this.p.randomBytes(4);
    return (((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!) / 0x100000000;
  }

  // --- group actions ------------------------------------------------------------------

  async createGroup(policy: GroupPolicy, info: GroupInfo): Promise<Uint8Array> {
    const op = 'createGroup';
    if (this.closed) throw sdkError(SDK_CLOSED, 'the client was closed', op);
    const c = buildCreateGroup(this.p, this.identity, { policy });
    const groupId = c.state.public.groupId;
    const hex = bytesToHex(groupId);
    await this.queueOf(hex)(async () => {
      await this.api.createGroup({ expectedHead: ZERO_HEAD, entry: c.entry, envelopes: [] });
      const s = this.newSession(groupId, 'active', 1, c.state);
      await this.persistMember(s);
      const view = epochView(this.p, c.state)!;
      const st = this.enterEpoch(view, null);
      wipe(view.senderRoot);
      s.receiver = st.receiverState;
      s.sender = st.senderState;
      s.anchored = true;
      await this.persistEpoch(s, s.sender);
      this.sessions.set(hex, s);
      this.events.emit('status', { groupId: groupId.slice(), status: 'active' });
      this.events.emit('membership', { groupId: groupId.slice(), kind: 'created', epoch: 0, actor: this.selfId.slice(), members: [this.selfId.slice()] });
      await this.commitLocked(s, op, async (state) => commitGroupInfo(this.p, this.identity, state, info));
    });
    return groupId.slice();
  }

  /** Adds a member by member ID: claims its prekey bundle and commits the add; it joins from the welcome. */
  invite(groupId: Uint8Array | string, memberId: Uint8Array): Promise<boolean> {
    let bundle: PrekeyBundle | null = null;
    return this.userCommit(groupId, 'invite', async (state) => {
      if (isMember(state.public, memberId)) throw sdkError(SDK_ALREADY_MEMBER, 'already a member', 'invite');
      if (!canInvite(state.public, this.selfId)) throw sdkError(SDK_FORBIDDEN, 'this member may not invite', 'invite');
      bundle ??= await this.claimBundle(memberId);
      return commitAdd(this.p, this.identity, state, [bundle]);
    });
  }

  kick(groupId: Uint8Array | string, memberIds: Uint8Array[]): Promise<boolean> {
    return this.userCommit(groupId, 'kick', async (state) => {
      const present = memberIds.filter((id) => isMember(state.public, id));
      if (present.length === 0) return null;
      return commitRemove(this.p, this.identity, state, present, await this.prekeysFor(state, this.othersOf(state, present)));
    });
  }

  async leave(groupId: Uint8Array | string): Promise<void> {
    const s = this.active(groupId, 'leave');
    await this.queueOf(s.hex)(async () => {
      s.leaving = true;
      try {
        await this.commitLocked(s, 'leave', async (state) => requestLeave(this.p, this.identity, state));
      } catch (e) {
        s.leaving = false;
        throw e;
      }
      if (s.status === 'active') {
        // The relay stops serving a leaver at once; the removal commit is the others' job.
        s.status = 'left';
        s.member = { ...s.member, epochSecret: null, alarm: null, removed: true };
        s.sender = null;
        s.receiver = null;
        await this.persistMember(s);
        await this.persistEpoch(s, null);
        this.events.emit('status', { groupId: s.id.slice(), status: 'left' });
      }
    });
  }

  dissolve(groupId: Uint8Array | string): Promise<boolean> {
    return this.userCommit(groupId, 'dissolve', async (state) => commitDissolve(this.p, this.identity, state));
  }

  transferOwnership(groupId: Uint8Array | string, newOwner: Uint8Array): Promise<boolean> {
    return this.userCommit(groupId, 'transferOwnership', async (state) => commitTransferOwnership(this.p, this.identity, state, newOwner));
  }

  setRole(groupId: Uint8Array | string, memberId: Uint8Array, role: Role): Promise<boolean> {
    return this.userCommit(groupId, 'setRole', async (state) => commitRole(this.p, this.identity, state, memberId, role));
  }

  setPolicy(groupId: Uint8Array | string, change: (current: GroupPolicy) => GroupPolicy): Promise<boolean> {
    return this.userCommit(groupId, 'setPolicy', async (state) => commitPolicy(this.p, this.identity, state, change(state.public.policy)));
  }

  setInfo(groupId: Uint8Array | string, change: (current: GroupInfo) => GroupInfo): Promise<boolean> {
    return this.userCommit(groupId, 'setInfo', async (state) => {
      const current: GroupInfo = state.groupInfo ?? { type: 'normal', name: '', announcement: '', avatar: new Uint8Array(0) };
      return commitGroupInfo(this.p, this.identity, state, change(current));
    });
  }

  /** A rotation now (e.g. after a device compromise); the automatic one follows alarms. */
  rotate(groupId: Uint8Array | string): Promise<boolean> {
    return this.userCommit(groupId, 'rotate', async (state) => commitRotate(this.p, this.identity, state, await this.prekeysFor(state, this.othersOf(state))));
  }

  // --- invite links -------------------------------------------------------------------

  async createInviteLink(groupId: Uint8Array | string, expiresAt: number, maxUses: number): Promise<string> {
    const op = 'createInviteLink';
    const s = this.active(groupId, op);
    if (s.member.public.policy.joinPolicy === 'invite-only') throw sdkError(SDK_JOIN_REFUSED, 'the group is invite-only: no links', op);
    if (!canInvite(s.member.public, this.selfId)) throw sdkError(SDK_FORBIDDEN, 'this member may not invite', op);
    const inviteId = await this.api.createInvite(s.id, { expiresAt, maxUses });
    const linkSecret = this.p.randomBytes(32);
    await this.queueOf(s.hex)(() => this.saveLinks(s, [...s.links, { inviteId, linkSecret, expiresAt }]));
    // Every member learns the link secret, so whoever is online can open join requests.
    const cmid = concatBytes(this.timePrefix(), this.p.randomBytes(10));
    await this.sendFramed(s.id, encodeLinkShare(inviteId, linkSecret, expiresAt), cmid);
    return formatInviteLink({ inviteId, groupId: s.id, linkSecret });
  }

  private timePrefix(): Uint8Array {
    const t = this.now();
    const out = new Uint8Array(6);
    let v = t;
    for (let i = 5; i >= 0; i--) {
      out[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return out;
  }

  /** Posts a sealed join request under a link; the add arrives as a welcome when a member commits it. */
  async requestJoin(link: string, name: string): Promise<{ groupId: Uint8Array; requestId: number }> {
    const parsed = parseInviteLink(link);
    const bundle = prekeyBundleOf(this.p, this.identity.seed, this.account.prekeys, null);
    const body = sealJoinRequest(this.p, parsed, { bundle, name });
    const requestId = await this.api.requestJoin(parsed.inviteId, body);
    return { groupId: parsed.groupId, requestId };
  }

  private async onJoinRequest(groupId: Uint8Array, requestId: number): Promise<void> {
    const s = this.sessions.get(bytesToHex(groupId));
    if (!s || s.status !== 'active' || s.links.length === 0) return;
    const items = await this.api.listJoinRequests(s.id, Math.max(0, requestId - 1), 10);
    const item = items.find((it) => it.requestId === requestId);
    if (item) await this.handleJoinRequest(s, item);
  }

  private async scanJoinRequests(s: GroupSession): Promise<void> {
    if (s.status !== 'active' || !canInvite(s.member.public, this.selfId)) return;
    const items = await this.api.listJoinRequests(s.id, 0, 100);
    for (const item of items) await this.handleJoinRequest(s, item);
  }

  private async handleJoinRequest(s: GroupSession, item: { requestId: number; inviteId: Uint8Array; body: Uint8Array }): Promise<void> {
    if (s.joinRequests.has(item.requestId)) return;
    const link = s.links.find((l) => equalBytes(l.inviteId, item.inviteId));
    if (!link) return;
    let opened;
    try {
      opened = openJoinRequest(this.p, { inviteId: link.inviteId, groupId: s.id, linkSecret: link.linkSecret }, item.body);
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      return;
    }
    const memberId = this.memberIdOfBundle(opened.bundle);
    const req: PendingJoinRequest = { requestId: item.requestId, memberId, name: opened.name, bundle: opened.bundle };
    const policy = s.member.public.policy.joinPolicy;
    if (policy === 'open') {
      if (!canInvite(s.member.public, this.selfId)) return;
      // A replayed or stale request of a member who is in the group, or was removed while we
      // watched, is not acted on automatically (an admin can still approve a new request).
      if (isMember(s.member.public, memberId) || s.removedSince.has(bytesToHex(memberId))) return;
      s.joinRequests.set(req.requestId, req);
      const delay = Math.floor(this.jitter() * this.opts.autoCommitJitterMs);
      this.deps.setTimer(() => this.enqueue(s.id, 'openJoin', async () => void (await this.admit(s, req))), delay);
    } else if (policy === 'approval') {
      s.joinRequests.set(req.requestId, req);
      this.events.emit('joinRequest', { groupId: s.id.slice(), requestId: req.requestId, memberId: memberId.slice(), name: req.name });
    }
  }

  private memberIdOfBundle(b: PrekeyBundle): Uint8Array {
    return memberIdOf(this.p, b.identityKey);
  }

  /** Commits the add for a join request (runs in the group queue), then deletes the request. */
  /**
   * Claims a join request at the relay (deletes it), then commits the add; answers false
   * when the request is gone (another member handled it, or it was dropped here).
   * Claim first: the relay's delete succeeds for exactly one member, so with several
   * clients allowed to admit, exactly one commits, and a request someone already handled
   * is never acted on later (a delayed open-link admit after a kick re-added the kicked
   * member before this order was used). If the commit then fails, the joiner asks again.
   */
  private async admit(s: GroupSession, req: PendingJoinRequest): Promise<boolean> {
    if (s.status !== 'active' || s.joinRequests.get(req.requestId) !== req) return false;
    try {
      await this.api.deleteJoinRequest(s.id, req.requestId);
    } catch (e) {
      if (relayErrorOf(e) !== 'NOT_FOUND') throw e;
      s.joinRequests.delete(req.requestId);
      return false;
    }
    s.joinRequests.delete(req.requestId);
    await this.account.observe(req.memberId, req.bundle.identityKey, this.now());
    await this.commitLocked(s, 'admit', async (state) => {
      if (isMember(state.public, req.memberId)) return null;
      return commitAdd(this.p, this.identity, state, [req.bundle]);
    });
    return true;
  }

  pendingJoinRequests(groupId: Uint8Array | string): JoinRequestEvent[] {
    const s = this.session(groupId, 'joinRequests');
    return [...s.joinRequests.values()].map((r) => ({ groupId: s.id.slice(), requestId: r.requestId, memberId: r.memberId.slice(), name: r.name }));
  }

  approve(groupId: Uint8Array | string, requestId: number): Promise<void> {
    const s = this.active(groupId, 'approve');
    return this.queueOf(s.hex)(async () => {
      const req = s.joinRequests.get(requestId);
      if (!req) throw sdkError(SDK_UNKNOWN_REQUEST, 'no pending join request with this ID', 'approve');
      if (!(await this.admit(s, req))) throw sdkError(SDK_UNKNOWN_REQUEST, 'the join request was already handled', 'approve');
    });
  }

  deny(groupId: Uint8Array | string, requestId: number): Promise<void> {
    const s = this.active(groupId, 'deny');
    return this.queueOf(s.hex)(async () => {
      if (!s.joinRequests.delete(requestId)) throw sdkError(SDK_UNKNOWN_REQUEST, 'no pending join request with this ID', 'deny');
      try {
        await this.api.deleteJoinRequest(s.id, requestId);
      } catch (e) {
        if (relayErrorOf(e) !== 'NOT_FOUND') throw e;
      }
    });
  }

  // --- queries ------------------------------------------------------------------------

  snapshot(groupId: Uint8Array | string): GroupSnapshot | undefined {
    const hex = typeof groupId === 'string' ? groupId.toLowerCase() : bytesToHex(groupId);
    const s = this.sessions.get(hex);
    if (!s) return undefined;
    return {
      groupId: s.id.slice(),
      status: s.status,
      epoch: s.member.public.epoch,
      logLength: s.logLength,
      messageSeq: s.messageSeq,
      info: s.member.groupInfo,
      state: s.member.public,
      alarm: !!s.member.alarm,
      canSend: s.status === 'active' && canSendInEpoch(s.member) && canSendMessage(s.member.public, this.selfId),
    };
  }

  groupIds(): Uint8Array[] {
    return [...this.sessions.values()].map((s) => s.id.slice());
  }

  /** Resolves once the group is active on this device (e.g. after join), or rejects after `timeoutMs`. */
  waitForGroup(groupId: Uint8Array | string, timeoutMs: number): Promise<void> {
    const hex = typeof groupId === 'string' ? groupId.toLowerCase() : bytesToHex(groupId);
    if (this.sessions.get(hex)?.status === 'active') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.events.on('status', (e) => {
        if (bytesToHex(e.groupId) === hex && e.status === 'active') {
          off();
          this.deps.clearTimer(t);
          resolve();
        }
      });
      const t = this.deps.setTimer(() => {
        off();
        reject(sdkError(SDK_TIMEOUT, 'the group did not become active in time', 'waitForGroup'));
      }, timeoutMs);
    });
  }

  /** Catches up a group's log over HTTP now (normally the socket does it). */
  syncLog(groupId: Uint8Array | string): Promise<void> {
    const s = this.active(groupId, 'syncLog');
    return this.queueOf(s.hex)(() => this.fetchLog(s));
  }

  /** Resolves once every queued step of the group has run and what it received is persisted and ACKed. */
  idle(groupId: Uint8Array | string): Promise<void> {
    const hex = typeof groupId === 'string' ? groupId.toLowerCase() : bytesToHex(groupId);
    return this.queueOf(hex)(async () => {
      const s = this.sessions.get(hex);
      if (!s || this.closed || s.syncing) return;
      if (s.persistTimer === null && !s.dirty && !s.batch.length) {
        await s.recordWrites; // a live flush's write may still be on its way
        return;
      }
      try {
        await this.flushReceiver(s);
      } catch (error) {
        // The receiver failed (the group is now stalled): reported like any queued step.
        this.events.emit('error', { groupId: s.id.slice(), operation: 'flush', error });
      }
    });
  }
}
