// The relay's runtime: groups in memory (public view + counters), the write lane (log
// appends and group-committed sends, one at a time), fan-out to connected devices, catch-up
// from the database, backpressure. Transport-neutral: the WebSocket server (server.ts) and
// the HTTP app (app.ts) both call into it. With several instances on one database, a Fanout
// (fanout/) carries each commit to the other instances; the database stays authoritative.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isE2eeError } from '../../crypto/src/errors';
import { encodeRelayFrame, errorFrame, FRAME, RELAY_ERROR, CLOSE, type RelayErrorName } from '../../crypto/src/wire/relay-frames';
import type { RelayConfig } from './config';
import { NO_FANOUT, type Fanout, type FanoutEvent } from './fanout/types';
import type { GroupView, LogEnforcer } from './log-enforcer';
import { Metrics } from './metrics';
import { NotifyDispatcher } from './notify/dispatcher';
import type { Notifier } from './notify/types';
import { RateLimiter } from './rate-limit';
import { Sessions, type Session } from './sessions';
import type { RelayStore, SendRecord, StoredGroup } from './store/types';

/** A failure with a stable name, an HTTP status, and a message safe to show (no content, no IDs). */
export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorName,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

export interface GroupRuntime {
  ref: number;
  groupId: Uint8Array;
  view: GroupView;
  lastSeq: number;
  logLength: number;
  peers: Set<Peer>;
}

interface PeerGroup {
  /** Highest message seq delivered to this socket. */
  sentSeq: number;
  /** Number of log entries delivered (next index to send). */
  sentLog: number;
  syncing: boolean;
  /** Send CAUGHT_UP when the current sync reaches the head. */
  announce: boolean;
  /**
   * This socket's own sends acknowledged beyond `sentSeq` (messages of other senders, often
   * on other instances, came first): skipped when `sentSeq` reaches them, never echoed.
   */
  own: Set<number>;
}

/** Moves `sentSeq` over the socket's own messages that directly follow it. */
function passOwn(pg: PeerGroup): void {
  if (pg.own.size === 0) return;
  while (pg.own.delete(pg.sentSeq + 1)) pg.sentSeq++;
  for (const seq of pg.own) if (seq <= pg.sentSeq) pg.own.delete(seq);
}

/** An authenticated device socket, as the core sees it. */
export interface Peer {
  readonly session: Session;
  readonly ip: string;
  send(frame: Uint8Array): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  groups: Map<number, PeerGroup>;
  lagging: boolean;
  /** When the socket went over the soft limit (ms). */
  laggingSince: number;
  closed: boolean;
  /** Set once the device has sent RESUME: live pushes start then. */
  resumed: boolean;
}

/** What the relay reads from a group message header (crypto/src/wire/message.ts), keyless. */
export interface SendHeader {
  groupId: Uint8Array;
  epoch: number;
  senderIndex: number;
}

/** An acknowledged cursor waiting to be written. */
interface CursorSave {
  deviceRef: number;
  groupRef: number;
  seq: number;
}

interface PendingSend {
  peer: Peer;
  clientId: Uint8Array;
  groupId: Uint8Array;
  header: SendHeader;
  epoch: number;
  body: Uint8Array;
  arrivedAt: number;
}

/** Lowercase hex of an ID (Buffer's codec: the fastest on Node). */
function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Groups kept in memory at most; idle ones (no connected member) are evicted first-in first-out. */
const MAX_CACHED_GROUPS = 20_000;

/** Sends per group-commit transaction at most. */
const MAX_BATCH = 4096;
const SYNC_PAGE = 256;

export interface CoreDeps {
  config: RelayConfig;
  store: RelayStore;
  enforcer: LogEnforcer;
  now?: () => number;
  /** Groups kept in memory at most (default MAX_CACHED_GROUPS). */
  maxCachedGroups?: number;
  /** Cross-instance fan-out (default: none, a single instance). */
  fanout?: Fanout;
  /** Off-app wake-ups (relay/src/notify); none when absent or named 'none'. */
  notifier?: Notifier;
}

export class RelayCore {
  readonly config: RelayConfig;
  readonly store: RelayStore;
  readonly enforcer: LogEnforcer;
  readonly metrics = new Metrics();
  readonly sessions: Sessions;
  readonly sendLimiter: RateLimiter;
  readonly ipLimiter: RateLimiter;
  readonly claimLimiter: RateLimiter;
  readonly bundleLimiter: RateLimiter;
  readonly now: () => number;
  readonly blobDir: string;
  readonly fanout: Fanout;
  /** Wake-ups for opted-in members without a live socket here (null: off). */
  readonly notify: NotifyDispatcher | null;
  private readonly maxCachedGroups: number;

  private readonly groupsByHex = new Map<string, GroupRuntime>();
  private readonly groupsByRef = new Map<number, GroupRuntime>();
  private readonly peersByMember = new Map<string, Set<Peer>>();
  private readonly lagging = new Set<Peer>();
  private pending: PendingSend[] = [];
  private flushScheduled = false;
  private lane: Promise<unknown> = Promise.resolve();
  private pendingCursors = new Map<string, CursorSave>();
  /** Batches taken by flushCursors whose save has not finished: still unread by store.cursor(). */
  private readonly savingCursors = new Set<Map<string, CursorSave>>();
  private timers: NodeJS.Timeout[] = [];
  private closing = false;

  constructor(deps: CoreDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.enforcer = deps.enforcer;
    this.now = deps.now ?? Date.now;
    this.sessions = new Sessions(this.config.tokenTtlSeconds * 1000, this.config.challengeTtlSeconds * 1000);
    this.sendLimiter = new RateLimiter(this.config.sendRatePerIdentity);
    this.ipLimiter = new RateLimiter(this.config.rateLimitPerIp);
    this.claimLimiter = new RateLimiter(this.config.claimRatePerMinute / 60, this.config.claimRatePerMinute);
    this.bundleLimiter = new RateLimiter(this.config.bundleRatePerMinute / 60, this.config.bundleRatePerMinute);
    this.blobDir = join(this.config.dataDir, 'blobs');
    this.maxCachedGroups = deps.maxCachedGroups ?? MAX_CACHED_GROUPS;
    this.fanout = deps.fanout ?? NO_FANOUT;
    this.fanout.onEvent((e) => this.onRemoteEvent(e));
    this.fanout.onResubscribe(() => void this.afterResubscribe());
    this.notify =
      deps.notifier && deps.notifier.name !== 'none'
        ? new NotifyDispatcher({
            notifier: deps.notifier,
            store: { notifySubscriptions: (ids) => this.store.notifySubscriptions(ids) },
            intervalMs: this.config.notifyIntervalSeconds * 1000,
            now: () => this.now(),
            isOnline: (memberHex) => this.peersByMember.has(memberHex),
          })
        : null;
  }

  /** Starts background work: backpressure polling, cursor flushes, retention, session sweeps. */
  start(): void {
    mkdirSync(this.blobDir, { recursive: true });
    // A background task that fails (the database briefly away) is counted and tried again
    // on its next tick; its rejection must not reach the process as an unhandled one.
    const every = (ms: number, task: string, fn: () => unknown) => {
      const t = setInterval(() => {
        try {
          const r = fn();
          if (r instanceof Promise) r.catch(() => this.metrics.backgroundFailure(task));
        } catch {
          this.metrics.backgroundFailure(task);
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(20, 'backpressure', () => this.pollLagging());
    every(1000, 'cursor-flush', () => this.flushCursors());
    every(60_000, 'retention', () => this.sweepRetention());
    every(30_000, 'session-sweep', () => {
      const now = this.now();
      this.sessions.sweep(now);
      this.sendLimiter.sweep(now);
      this.ipLimiter.sweep(now);
      this.claimLimiter.sweep(now);
      this.bundleLimiter.sweep(now);
    });
    every(10_000, 'database-size', () => this.store.sizeBytes().then((n) => (this.metrics.dbSizeBytes = n)));
    every(60_000, 'group-eviction', () => this.evictIdleGroups());
  }

  /** Stops timers, waits for the write lane, saves cursors. */
  async stop(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.serial(async () => undefined);
    await this.flushCursors();
  }

  /** Runs `fn` on the write lane: appends and send batches never interleave. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lane.then(fn, fn);
    this.lane = run.catch(() => undefined);
    return run;
  }

  // --- groups ---------------------------------------------------------------

  private install(g: StoredGroup, view: GroupView): GroupRuntime {
    const hex = bytesToHex(g.groupId);
    const existing = this.groupsByHex.get(hex);
    if (existing) {
      this.takeView(existing, g, view);
      return existing;
    }
    const rt: GroupRuntime = { ref: g.ref, groupId: g.groupId, view, lastSeq: g.lastSeq, logLength: g.logLength, peers: new Set() };
    this.groupsByHex.set(hex, rt);
    this.groupsByRef.set(g.ref, rt);
    return rt;
  }

  /**
   * Drops idle groups (no connected member) from memory; the store stays authoritative.
   * Runs from a timer, never between the awaits of an operation on a group (with the
   * synchronous SQLite store those all complete within one macrotask).
   */
  evictIdleGroups(): void {
    if (this.groupsByHex.size <= this.maxCachedGroups) return;
    let excess = this.groupsByHex.size - Math.floor(this.maxCachedGroups * 0.9);
    for (const [hex, rt] of this.groupsByHex) {
      if (excess <= 0) break;
      if (rt.peers.size > 0) continue;
      this.groupsByHex.delete(hex);
      this.groupsByRef.delete(rt.ref);
      excess--;
    }
  }

  /** Groups held in memory (for tests and metrics). */
  get cachedGroups(): number {
    return this.groupsByHex.size;
  }

  async group(groupId: Uint8Array): Promise<GroupRuntime | null> {
    const hit = this.groupsByHex.get(bytesToHex(groupId));
    if (hit) return hit;
    const g = await this.store.loadGroup(groupId);
    if (!g) return null;
    return this.groupsByHex.get(bytesToHex(groupId)) ?? this.install(g, this.enforcer.view(g.publicState));
  }

  async groupByRef(ref: number): Promise<GroupRuntime | null> {
    const hit = this.groupsByRef.get(ref);
    if (hit) return hit;
    const g = await this.store.loadGroupByRef(ref);
    if (!g) return null;
    return this.groupsByRef.get(ref) ?? this.install(g, this.enforcer.view(g.publicState));
  }

  /** The group, if `session` is served in it; RelayError otherwise. */
  async servedGroup(session: Session, groupId: Uint8Array): Promise<GroupRuntime> {
    const g = await this.group(groupId);
    if (!g) throw new RelayError('UNKNOWN_GROUP', 404, 'unknown group');
    if (!g.view.served.has(session.memberHex)) {
      throw new RelayError(g.view.dissolved ? 'GROUP_DISSOLVED' : 'NOT_MEMBER', 403, 'not a member of this group');
    }
    return g;
  }

  // --- log ------------------------------------------------------------------

  private rejectFold(e: unknown): never {
    if (isE2eeError(e)) throw new RelayError('REJECTED_ENTRY', 422, `entry rejected: ${e.code}`);
    throw e;
  }

  /** Creates a group from its create entry; the creator must be the authenticated device. */
  async createGroup(session: Session, entry: Uint8Array, envelopes: Uint8Array[]) {
    return this.serial(async () => {
      let folded;
      try {
        folded = this.enforcer.genesis(entry, envelopes);
      } catch (e) {
        this.rejectFold(e);
      }
      if (!folded.view.served.has(session.memberHex)) throw new RelayError('FORBIDDEN', 403, 'the creator must be the authenticated device');
      const out = await this.store.createGroup(folded.view.groupId, entry, folded.stored, this.now());
      if (!out.ok) throw new RelayError('CONFLICT', 409, 'group already exists');
      const rt = this.install(out.group, folded.view);
      this.metrics.logEntries++;
      this.afterAppend(rt, 0, entry, folded.stored.envelopes, out.added);
      this.notify?.activity({ groupId: rt.groupId, members: rt.view.served, actorHex: session.memberHex, kind: 'membership' });
      this.fanout.publish({ kind: 'log', groupRef: rt.ref, groupId: rt.groupId, index: 0, added: out.added, removed: out.removed });
      return { index: 0, head: folded.view.head, epoch: folded.view.epoch };
    });
  }

  /** Compare-and-swap append; the fold runs inside the store's transaction. */
  async appendLog(session: Session, groupId: Uint8Array, expectedHead: Uint8Array, entry: Uint8Array, envelopes: Uint8Array[]) {
    return this.serial(async () => {
      const g = await this.servedGroup(session, groupId);
      let view: GroupView | undefined;
      let envs: { recipient: Uint8Array; envelope: Uint8Array }[] = [];
      const out = await this.store.appendEntry(
        groupId,
        expectedHead,
        entry,
        (stored) => {
          try {
            const f = this.enforcer.append(stored.publicState, entry, envelopes, g.view);
            view = f.view;
            envs = f.stored.envelopes;
            return f.stored;
          } catch (e) {
            this.rejectFold(e);
          }
        },
        this.now(),
      );
      if (!out.ok) {
        if (out.reason === 'head-mismatch') throw new RelayError('HEAD_MISMATCH', 409, 'the log head moved: fetch, rebase, retry');
        throw new RelayError('UNKNOWN_GROUP', 404, 'unknown group');
      }
      this.install(out.group, view!);
      this.metrics.logEntries++;
      this.afterAppend(g, out.index, entry, envs, out.added);
      this.notify?.activity({ groupId: g.groupId, members: g.view.served, actorHex: session.memberHex, kind: 'membership' });
      this.fanout.publish({ kind: 'log', groupRef: g.ref, groupId: g.groupId, index: out.index, added: out.added, removed: out.removed });
      return { index: out.index, head: view!.head, epoch: view!.epoch };
    });
  }

  /** After an append commits (departed devices are cut off already): push the entry, attach joiners. */
  private afterAppend(
    g: GroupRuntime,
    index: number,
    entry: Uint8Array,
    envelopes: { recipient: Uint8Array; envelope: Uint8Array }[],
    added: Uint8Array[],
  ): void {
    // Departed devices were cut off when the new view was taken (install -> takeView -> cutOff).
    const byRecipient = new Map(envelopes.map((e) => [bytesToHex(e.recipient), e.envelope]));
    for (const peer of g.peers) {
      const pg = peer.groups.get(g.ref);
      if (!pg || !peer.resumed) continue;
      if (pg.syncing || peer.lagging || pg.sentLog !== index) {
        this.sync(peer, g);
        continue;
      }
      const envelope = byRecipient.get(peer.session.memberHex) ?? new Uint8Array(0);
      peer.send(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g.groupId, index, entry, envelope }));
      pg.sentLog = index + 1;
      this.checkPressure(peer);
    }
    for (const id of added) {
      for (const peer of this.peersByMember.get(bytesToHex(id)) ?? []) {
        if (!peer.resumed || peer.groups.has(g.ref)) continue;
        void this.attach(peer, g, null);
      }
    }
  }

  // --- sends (group commit) ---------------------------------------------------

  enqueueSend(peer: Peer, clientId: Uint8Array, groupId: Uint8Array, header: SendHeader, body: Uint8Array): void {
    this.pending.push({ peer, clientId, groupId, header, epoch: header.epoch, body, arrivedAt: performance.now() });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.serial(() => this.flush());
      });
    }
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
      this.pending = this.pending.length <= MAX_BATCH ? [] : this.pending.slice(MAX_BATCH);
      // Load any group not yet cached (rare: the sender's groups are loaded at RESUME). The
      // batch keeps its own references: an eviction between two awaits cannot lose one.
      const keys = batch.map((s) => bytesToHex(s.groupId));
      const rts = new Map<string, GroupRuntime | null>();
      for (let i = 0; i < batch.length; i++) {
        if (!rts.has(keys[i]!)) rts.set(keys[i]!, this.groupsByHex.get(keys[i]!) ?? (await this.group(batch[i]!.groupId)));
      }
      if (this.fanout.shared) {
        // A send in an epoch this instance has not seen yet: another instance appended; reload.
        const stale = new Set<GroupRuntime>();
        for (let i = 0; i < batch.length; i++) {
          const g = rts.get(keys[i]!);
          if (g && batch[i]!.epoch > g.view.epoch) stale.add(g);
        }
        for (const g of stale) await this.refreshGroup(g.ref);
      }
      const records: SendRecord[] = [];
      const accepted: { s: PendingSend; g: GroupRuntime }[] = [];
      const now = this.now();
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const g = rts.get(keys[i]!);
        const hex = s.peer.session.memberHex;
        let err: RelayErrorName | null = null;
        if (!g) err = 'UNKNOWN_GROUP';
        else if (!g.view.served.has(hex)) err = g.view.dissolved ? 'GROUP_DISSOLVED' : 'NOT_MEMBER';
        else if (!g.view.maySend(hex)) err = 'FORBIDDEN';
        else if (!sameBytes(s.header.groupId, g.groupId)) err = 'MALFORMED';
        else if (s.epoch < g.view.epoch) err = 'STALE_EPOCH';
        else if (s.epoch > g.view.epoch) err = 'FUTURE_EPOCH';
        else if (s.header.senderIndex !== g.view.memberIndex(hex)) err = 'FORBIDDEN';
        if (err || !g) {
          this.sendError(s.peer, err ?? 'UNKNOWN_GROUP', errDetail(err ?? 'UNKNOWN_GROUP'), s.clientId);
          continue;
        }
        records.push({ groupRef: g.ref, senderRef: s.peer.session.deviceRef, clientId: s.clientId, epoch: s.epoch, sentAt: now, body: s.body });
        accepted.push({ s, g });
      }
      if (records.length === 0) continue;
      let results;
      try {
        results = await this.store.commitSends(records);
      } catch {
        for (const { s } of accepted) this.sendError(s.peer, 'INTERNAL', 'store failure; retry', s.clientId);
        continue;
      }
      this.metrics.commitBatches++;
      const done = performance.now();
      for (let i = 0; i < accepted.length; i++) {
        const { s, g } = accepted[i]!;
        const r = results[i]!;
        this.metrics.commitLatency.observe((done - s.arrivedAt) / 1000);
        if (r.staleEpoch) {
          // Another instance committed a log entry first (the store checked the epoch under the group lock).
          this.sendError(s.peer, 'STALE_EPOCH', errDetail('STALE_EPOCH'), s.clientId);
          void this.refreshGroup(g.ref).catch(() => undefined);
          continue;
        }
        if (r.seq === 0) {
          this.sendError(s.peer, 'CONFLICT', 'client message ID already used in another group', s.clientId);
          continue;
        }
        if (!r.duplicate) {
          this.metrics.messagesStored++;
          if (r.seq > g.lastSeq) g.lastSeq = r.seq;
          const frame = encodeRelayFrame({
            type: FRAME.MESSAGE,
            groupId: g.groupId,
            seq: r.seq,
            sender: s.peer.session.memberId,
            epoch: s.epoch,
            sentAt: records[i]!.sentAt,
            ciphertext: s.body,
          });
          this.deliver(g, r.seq, s.peer, frame);
          this.notify?.activity({ groupId: g.groupId, members: g.view.served, actorHex: s.peer.session.memberHex, kind: 'message' });
          this.fanout.publish({
            kind: 'message',
            groupRef: g.ref,
            groupId: g.groupId,
            seq: r.seq,
            sender: s.peer.session.memberId,
            epoch: s.epoch,
            sentAt: records[i]!.sentAt,
            body: s.body,
          });
        }
        if (!s.peer.closed) {
          s.peer.send(encodeRelayFrame({ type: FRAME.SEND_OK, clientMessageId: s.clientId, groupId: g.groupId, seq: r.seq, duplicate: r.duplicate }));
        }
      }
    }
  }

  /** Live push of message `seq` to the group's sockets here; a socket that missed one catches up. */
  private deliver(g: GroupRuntime, seq: number, sender: Peer | null, frame: Uint8Array): void {
    for (const peer of g.peers) {
      const pg = peer.groups.get(g.ref);
      if (!pg) continue;
      if (peer === sender) {
        if (!pg.syncing && pg.sentSeq === seq - 1) pg.sentSeq = seq;
        else if (seq > pg.sentSeq) pg.own.add(seq);
        passOwn(pg);
        continue;
      }
      if (peer.lagging || pg.syncing) continue;
      passOwn(pg);
      if (pg.sentSeq !== seq - 1) {
        if (pg.sentSeq < seq) this.sync(peer, g);
        continue;
      }
      peer.send(frame);
      pg.sentSeq = seq;
      passOwn(pg);
      this.metrics.deliveries++;
      this.checkPressure(peer);
    }
  }

  // --- other instances (fan-out) ---------------------------------------------------

  /**
   * Reloads a cached group from the store (another instance appended or sent). Counters never
   * move backwards and an older read never replaces a newer view.
   */
  async refreshGroup(ref: number): Promise<GroupRuntime | null> {
    const g = await this.store.loadGroupByRef(ref);
    const rt = this.groupsByRef.get(ref);
    if (!g || !rt) return rt ?? null;
    // New entries may have come without their event (an instance killed between its commit and
    // its publish, a subscription down): bring the sockets' logs up to date.
    if (this.takeView(rt, g)) for (const peer of rt.peers) if (peer.resumed) this.sync(peer, rt);
    return rt;
  }

  /**
   * Takes a stored group's counters, and its view unless the cached one is newer (`view`, or
   * folded from the stored state). The devices the new view no longer serves are cut off at
   * once, as the log event would have done. Answers whether the log grew.
   */
  private takeView(rt: GroupRuntime, g: StoredGroup, view?: GroupView): boolean {
    rt.lastSeq = Math.max(rt.lastSeq, g.lastSeq);
    if (g.logLength < rt.logLength) return false;
    const grew = g.logLength > rt.logLength;
    rt.view = view ?? this.enforcer.view(g.publicState);
    rt.logLength = g.logLength;
    const gone = [...rt.peers].filter((peer) => !rt.view.served.has(peer.session.memberHex));
    if (gone.length > 0) void this.cutOff(rt, gone, rt.logLength - 1).catch(() => undefined);
    return grew;
  }

  /**
   * Detaches devices the group no longer serves (synchronously: no push reaches them after
   * this call) and tells them (REMOVED). Everyone learns of a dissolve from the entry itself,
   * so a device whose log stands right before it (`index`) gets the entry first; a removed
   * device learns only that it is out.
   */
  private async cutOff(g: GroupRuntime, peers: Peer[], index: number): Promise<void> {
    const cut: { peer: Peer; pg: PeerGroup }[] = [];
    for (const peer of peers) {
      const pg = peer.groups.get(g.ref);
      if (!pg) continue;
      peer.groups.delete(g.ref);
      g.peers.delete(peer);
      cut.push({ peer, pg });
    }
    for (const { peer, pg } of cut) {
      if (g.view.dissolved && pg.sentLog === index && !pg.syncing) {
        // Best effort: with the store away the device still learns that it is out.
        const [it] = await this.store.readLog(g.ref, index - 1, 1, peer.session.memberId).catch(() => []);
        if (it && it.index === index) {
          peer.send(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g.groupId, index, entry: it.entry, envelope: new Uint8Array(0) }));
        }
      }
      peer.send(encodeRelayFrame({ type: FRAME.REMOVED, groupId: g.groupId }));
    }
  }

  /** Reloads the group's head from the store; the sockets here catch up to it. */
  private async catchUpHead(g: GroupRuntime): Promise<void> {
    await this.refreshGroup(g.ref);
    for (const peer of g.peers) if (peer.resumed) this.sync(peer, g);
  }

  private onRemoteEvent(e: FanoutEvent): void {
    const rt = this.groupsByRef.get(e.groupRef);
    switch (e.kind) {
      case 'message': {
        // Not cached here: no socket here is attached to the group, nothing to push.
        if (!rt || !sameBytes(rt.groupId, e.groupId)) return;
        if (e.seq > rt.lastSeq) rt.lastSeq = e.seq;
        if (e.epoch > rt.view.epoch) {
          // An epoch this instance has not seen: its log entries came without their event. Read
          // the group first (cuts off removed devices), then the sockets catch up from the store.
          void this.catchUpHead(rt).catch(() => undefined);
          return;
        }
        const frame = encodeRelayFrame({ type: FRAME.MESSAGE, groupId: e.groupId, seq: e.seq, sender: e.sender, epoch: e.epoch, sentAt: e.sentAt, ciphertext: e.body });
        this.deliver(rt, e.seq, null, frame);
        return;
      }
      case 'log':
        if (rt && !sameBytes(rt.groupId, e.groupId)) return;
        void this.remoteAppend(e.groupRef, e.index, e.added, e.removed).catch(() => undefined);
        return;
      case 'join-request':
        if (rt && sameBytes(rt.groupId, e.groupId)) this.notifyJoinRequest(rt, e.requestId, false);
        return;
      case 'head':
        if (!rt || !sameBytes(rt.groupId, e.groupId)) return;
        if (e.lastSeq > rt.lastSeq) rt.lastSeq = e.lastSeq;
        void (async () => {
          if (e.logLength > rt.logLength) await this.refreshGroup(rt.ref);
          for (const peer of rt.peers) this.sync(peer, rt);
        })().catch(() => undefined);
        return;
    }
  }

  /** A log entry appended on another instance: refresh, cut off removed devices here, push, attach joiners. */
  private async remoteAppend(ref: number, index: number, added: Uint8Array[], removed: Uint8Array[]): Promise<void> {
    // The refresh normally takes the new view, which cuts off the devices the entry removed
    // and catches the others up; the event's own list still applies when the read found nothing.
    let g = this.groupsByRef.get(ref) ? await this.refreshGroup(ref) : null;
    if (g) {
      await this.cutOff(g, removed.flatMap((id) => [...(this.peersByMember.get(bytesToHex(id)) ?? [])]), index);
      for (const peer of g.peers) if (peer.resumed) this.sync(peer, g);
    }
    for (const id of added) {
      for (const peer of this.peersByMember.get(bytesToHex(id)) ?? []) {
        if (!peer.resumed) continue;
        g ??= await this.groupByRef(ref);
        if (!g || peer.groups.has(g.ref)) continue;
        void this.attach(peer, g, null);
      }
    }
  }

  /**
   * The fan-out subscription was down: events may be lost. Idle cached groups are dropped
   * (reloaded on use); groups with sockets here are reloaded and every socket catches up.
   */
  private async afterResubscribe(): Promise<void> {
    for (const [hex, rt] of this.groupsByHex) {
      if (rt.peers.size > 0) continue;
      this.groupsByHex.delete(hex);
      this.groupsByRef.delete(rt.ref);
    }
    for (const rt of [...this.groupsByRef.values()]) {
      await this.refreshGroup(rt.ref).catch(() => undefined);
      for (const peer of rt.peers) if (peer.resumed) this.sync(peer, rt);
    }
  }

  sendError(peer: Peer, code: RelayErrorName, detail: string, clientId?: Uint8Array): void {
    this.metrics.error(code);
    if (!peer.closed) peer.send(errorFrame(RELAY_ERROR[code], detail, clientId));
  }

  // --- connections, resume, catch-up ---------------------------------------------

  addPeer(peer: Peer): void {
    let set = this.peersByMember.get(peer.session.memberHex);
    if (!set) this.peersByMember.set(peer.session.memberHex, (set = new Set()));
    set.add(peer);
    this.metrics.connections++;
  }

  removePeer(peer: Peer): void {
    if (peer.closed) return;
    peer.closed = true;
    this.metrics.connections--;
    const set = this.peersByMember.get(peer.session.memberHex);
    set?.delete(peer);
    if (set && set.size === 0) this.peersByMember.delete(peer.session.memberHex);
    for (const ref of peer.groups.keys()) this.groupsByRef.get(ref)?.peers.delete(peer);
    peer.groups.clear();
    this.lagging.delete(peer);
  }

  /** RESUME: attach the device to every group it is served in, from its cursors, and catch up. */
  async resume(peer: Peer, cursors: { groupId: Uint8Array; messageAfter: number; logFrom: number }[]): Promise<void> {
    const given = new Map(cursors.map((c) => [bytesToHex(c.groupId), c]));
    const groups = await this.store.groupsOf(peer.session.deviceRef);
    peer.resumed = true;
    for (const stored of groups) {
      if (peer.closed) return;
      const g = await this.groupByRef(stored.ref);
      if (!g || !g.view.served.has(peer.session.memberHex)) continue;
      await this.attach(peer, g, given.get(bytesToHex(g.groupId)) ?? null);
    }
  }

  private async attach(peer: Peer, g: GroupRuntime, cursor: { messageAfter: number; logFrom: number } | null): Promise<void> {
    const m = await this.store.membership(g.ref, peer.session.deviceRef);
    if (!m || peer.closed || peer.groups.has(g.ref)) return;
    let wantSeq: number;
    let wantLog: number;
    if (cursor) {
      wantSeq = cursor.messageAfter;
      wantLog = cursor.logFrom;
    } else {
      // An ACK not yet saved (cursors are written in batches) counts as well. It is read both
      // before and after the store: a flush that starts and finishes while the read is in
      // flight takes the ACK out of memory before the read can see it in the database.
      const key = `${peer.session.deviceRef}:${g.ref}`;
      const unsavedBefore = this.unsavedCursor(key);
      const stored = await this.store.cursor(peer.session.deviceRef, g.ref);
      wantSeq = Math.max(unsavedBefore, stored ?? 0, this.unsavedCursor(key));
      wantLog = m.joinedLog;
    }
    // A position past the cached head is clamped to it (a cursor cannot skip what is not stored
    // yet). With other instances the cache may be behind the database: one that committed a
    // message and was killed before publishing it. Read the head first, or the socket would
    // be sent again a message its cursor already covers.
    if (this.fanout.shared && (wantSeq > g.lastSeq || wantLog > g.logLength)) await this.catchUpHead(g);
    const sentSeq = Math.max(m.joinedSeq, Math.min(wantSeq, g.lastSeq));
    const sentLog = Math.max(m.joinedLog, Math.min(wantLog, g.logLength));
    if (peer.closed || peer.groups.has(g.ref)) return;
    peer.groups.set(g.ref, { sentSeq, sentLog, syncing: false, announce: true, own: new Set() });
    g.peers.add(peer);
    this.sync(peer, g);
  }

  /** Catch-up from the database until the socket has everything, then live pushes resume. */
  private sync(peer: Peer, g: GroupRuntime): void {
    const pg = peer.groups.get(g.ref);
    if (!pg || pg.syncing || peer.closed) return;
    pg.syncing = true;
    // runSync clears `syncing` itself, in the same turn as its last check, so no live push
    // can fall between the end of catch-up and the return to live delivery.
    void this.runSync(peer, g, pg).catch(() => {
      pg.syncing = false;
      peer.close(1011, 'catch-up failed');
    });
  }

  private async runSync(peer: Peer, g: GroupRuntime, pg: PeerGroup): Promise<void> {
    for (;;) {
      if (peer.closed || peer.lagging || !peer.groups.has(g.ref)) {
        pg.syncing = false; // resumed by pollLagging (lagging) or never (closed, removed)
        return;
      }
      if (pg.sentLog < g.logLength) {
        const items = await this.store.readLog(g.ref, pg.sentLog - 1, 64, peer.session.memberId);
        if (peer.closed || !peer.groups.has(g.ref)) continue;
        for (const it of items) {
          if (it.index < pg.sentLog) continue;
          peer.send(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g.groupId, index: it.index, entry: it.entry, envelope: it.envelope }));
          pg.sentLog = it.index + 1;
        }
        if (items.length === 0) pg.sentLog = g.logLength;
        this.checkPressure(peer);
        continue;
      }
      if (pg.sentSeq < g.lastSeq) {
        const rows = await this.store.readMessages(g.ref, pg.sentSeq, SYNC_PAGE);
        if (peer.closed || !peer.groups.has(g.ref)) continue;
        for (const r of rows) {
          if (r.seq <= pg.sentSeq) continue;
          if (pg.own.delete(r.seq)) {
            pg.sentSeq = r.seq; // this socket sent it: not echoed
            continue;
          }
          peer.send(
            encodeRelayFrame({ type: FRAME.MESSAGE, groupId: g.groupId, seq: r.seq, sender: r.sender, epoch: r.epoch, sentAt: r.sentAt, ciphertext: r.body }),
          );
          pg.sentSeq = r.seq;
          this.metrics.deliveries++;
          this.checkPressure(peer);
          if (peer.lagging) break;
        }
        if (rows.length === 0) pg.sentSeq = g.lastSeq; // deleted by retention
        passOwn(pg);
        this.checkPressure(peer);
        continue;
      }
      if (pg.announce) {
        pg.announce = false;
        peer.send(encodeRelayFrame({ type: FRAME.CAUGHT_UP, groupId: g.groupId, messageSeq: pg.sentSeq, logLength: pg.sentLog }));
      }
      pg.syncing = false;
      return;
    }
  }

  /** Backpressure: over the soft limit, stop live pushes; over the hard limit, close. */
  checkPressure(peer: Peer): void {
    const queued = peer.bufferedAmount();
    if (queued > this.config.socketHardLimitBytes) {
      this.metrics.error('TOO_SLOW');
      peer.close(CLOSE.TOO_SLOW, 'too slow');
      return;
    }
    if (queued > this.config.socketSoftLimitBytes && !peer.lagging) {
      peer.lagging = true;
      peer.laggingSince = this.now();
      this.metrics.slowSockets++;
      this.lagging.add(peer);
    }
  }

  private pollLagging(): void {
    for (const peer of this.lagging) {
      if (peer.closed) {
        this.lagging.delete(peer);
        continue;
      }
      const queued = peer.bufferedAmount();
      if (queued > this.config.socketHardLimitBytes || this.now() - peer.laggingSince > this.config.slowSocketTimeoutMs) {
        this.metrics.error('TOO_SLOW');
        this.lagging.delete(peer);
        peer.close(CLOSE.TOO_SLOW, 'too slow');
        continue;
      }
      if (queued <= this.config.socketSoftLimitBytes / 2) {
        peer.lagging = false;
        this.lagging.delete(peer);
        for (const ref of peer.groups.keys()) {
          const g = this.groupsByRef.get(ref);
          if (g) this.sync(peer, g);
        }
      }
    }
  }

  /** ACK: remembers the device's cursor (saved in batches). */
  ack(peer: Peer, groupId: Uint8Array, seq: number): void {
    const g = this.groupsByHex.get(bytesToHex(groupId));
    if (!g || !peer.groups.has(g.ref)) {
      this.sendError(peer, 'NOT_MEMBER', 'not a member of this group');
      return;
    }
    const key = `${peer.session.deviceRef}:${g.ref}`;
    const s = Math.min(seq, g.lastSeq);
    const prev = this.pendingCursors.get(key);
    if (!prev || prev.seq < s) this.pendingCursors.set(key, { deviceRef: peer.session.deviceRef, groupRef: g.ref, seq: s });
  }

  /** The highest acknowledged seq for `key` that is in memory: pending, or taken by a flush still saving. */
  private unsavedCursor(key: string): number {
    let seq = this.pendingCursors.get(key)?.seq ?? 0;
    for (const batch of this.savingCursors) seq = Math.max(seq, batch.get(key)?.seq ?? 0);
    return seq;
  }

  async flushCursors(): Promise<void> {
    if (this.pendingCursors.size === 0) return;
    const batch = this.pendingCursors;
    this.pendingCursors = new Map();
    this.savingCursors.add(batch);
    try {
      await this.store.saveCursors([...batch.values()]);
    } catch (e) {
      // Not saved: back into memory for the next flush, unless a newer ACK is already there.
      for (const [key, c] of batch) {
        const newer = this.pendingCursors.get(key);
        if (!newer || newer.seq < c.seq) this.pendingCursors.set(key, c);
      }
      throw e;
    } finally {
      this.savingCursors.delete(batch);
    }
  }

  /** Retention: acknowledged-by-all and too-old messages; blobs by age and dissolved groups. */
  async sweepRetention(): Promise<{ messages: number; blobs: number }> {
    if (this.closing) return { messages: 0, blobs: 0 };
    await this.flushCursors();
    const r = await this.serial(() => this.store.sweep(this.now() - this.config.retentionSeconds * 1000));
    for (const id of r.blobs) rmSync(join(this.blobDir, bytesToHex(id)), { force: true });
    return { messages: r.messages, blobs: r.blobs.length };
  }

  /** Pushes a JOIN_REQUEST notice to connected devices allowed to approve. */
  notifyJoinRequest(g: GroupRuntime, requestId: number, publish = true): void {
    if (publish) this.fanout.publish({ kind: 'join-request', groupRef: g.ref, groupId: g.groupId, requestId });
    for (const peer of g.peers) {
      if (!g.view.mayApproveJoin(peer.session.memberHex)) continue;
      peer.send(encodeRelayFrame({ type: FRAME.JOIN_REQUEST, groupId: g.groupId, requestId }));
    }
  }

  /** Time-ordered 16-byte ID: 6 bytes of milliseconds, 10 random bytes. */
  newTimeOrderedId(): Uint8Array {
    const id = new Uint8Array(16);
    let t = this.now();
    for (let i = 5; i >= 0; i--) {
      id[i] = t % 256;
      t = Math.floor(t / 256);
    }
    id.set(randomBytes(10), 6);
    return id;
  }

  /** Every open peer (for shutdown). */
  allPeers(): Peer[] {
    const out: Peer[] = [];
    for (const set of this.peersByMember.values()) out.push(...set);
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function errDetail(code: RelayErrorName): string {
  switch (code) {
    case 'MALFORMED':
      return 'the message header names another group';
    case 'STALE_EPOCH':
      return 'epoch replaced: fetch the log, catch up, re-encrypt';
    case 'FUTURE_EPOCH':
      return 'unknown epoch: fetch the log';
    case 'NOT_MEMBER':
      return 'not a member of this group';
    case 'FORBIDDEN':
      return 'muted, or the header sender index is not yours';
    case 'GROUP_DISSOLVED':
      return 'group dissolved';
    default:
      return 'unknown group';
  }
}
