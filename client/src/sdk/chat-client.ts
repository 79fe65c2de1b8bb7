// ChatClient: the one object a front end (mini program, CLI, demo) holds. One call per
// user action; events for everything that happens. API and lifecycle: docs/CLIENT-SDK.md.
//
//   const client = await createChatClient({ platform, primitives, store, relayUrl });
//   client.on('membership', ...); client.engine.setReceiver(...)   // before start()
//   await client.start();                                           // register + connect
//   const g = await client.createGroup({ name: '家长群' });
//   await client.invite(g, bobMemberId);
import { bytesToHex, hexToBytes, isBytes, utf8Encode } from '../../../crypto/src/bytes';
import { MAX_GROUP_MEMBERS } from '../../../crypto/src/limits';
import { canEditInfo, canInvite, type GroupPolicy, type PublicGroupState, type Role } from '../../../crypto/src/log/public-fold';
import type { Primitives, RandomSource } from '../../../crypto/src/primitives/types';
import { signRelayAuthChallenge } from '../../../crypto/src/wire/relay-auth';
import type { GroupInfo, GroupType } from '../../../crypto/src/wire/group-info';
import { openChatList, type ChatEntry, type ChatList } from '../history/chat-list';
import { openHistory, type History } from '../history/history-store';
import { MERGE_DELTA_MIN_MESSAGES } from '../history/limits';
import { createRelayClient, type RelayClient } from '../net/relay-client';
import type { ConnectionOptions } from '../net/connection';
import type { ConnectionState, Platform, TimerHandle } from '../net/types';
import type { LocalStore } from '../store/types';
import { DeviceAccount, type IdentityChange } from './account';
import { Emitter } from './emitter';
import { SDK_CLOSED, SDK_FORBIDDEN, SDK_UNKNOWN_GROUP, sdkError } from './errors';
import {
  GroupEngine,
  type EngineEvents,
  type EngineOptions,
  type GroupSnapshot,
  type JoinRequestEvent,
} from './group-engine';
import type { GroupMessaging, IncomingPlaintext, SentPlaintext } from './messaging-seam';

/** A group: its 16-byte ID, or the ID as 32 lowercase hex digits. */
export type GroupRef = Uint8Array | string;

export interface ChatClientOptions {
  platform: Platform;
  primitives: Primitives;
  /** This device's durable store (openNodeStore on Node, the fsm store in the mini program). */
  store: LocalStore;
  /** http(s)://host[:port] of the relay. */
  relayUrl: string;
  /** ws(s)://.../v1/ws; default derived from relayUrl. */
  wsUrl?: string;
  /** Clock (ms); default platform.now. */
  now?: () => number;
  /** Randomness for reconnect jitter (not secret); default from primitives. */
  random?: RandomSource;
  engine?: EngineOptions;
  connection?: Omit<ConnectionOptions, 'platform' | 'api' | 'wsUrl' | 'identityKey' | 'sign' | 'random' | 'sessions'>;
  /** How often prekeys are checked (rotation, top-up), ms. Default one hour. */
  prekeyCheckMs?: number;
}

export interface UnreadEvent {
  groupId: Uint8Array;
  unread: number;
  mentionUnread: number;
  /** Unread in every chat that is not notification-muted (an app badge). */
  totalUnread: number;
}

/** What a ChatClient raises: every engine event, plus unread counts and identity changes. */
export interface ChatEvents extends EngineEvents {
  /** Unread counts of a group changed (from the chat list; after a received message or markRead). */
  unread: UnreadEvent;
  /** A key handed out for a member ID is not that member's (also raised as alarm kind identity-changed). */
  identityChanged: IdentityChange;
}

export interface CreateGroupOptions {
  name: string;
  type?: GroupType;
  announcement?: string;
  avatar?: Uint8Array;
  /** Overrides of the default policy (invite-only, admins invite and edit info, members send media). */
  policy?: Partial<GroupPolicy>;
}

export interface GroupSummary extends GroupSnapshot {
  groupIdHex: string;
  /** Members with role, ascending by member ID. */
  members: { memberId: Uint8Array; role: Role; leaveRequested: boolean }[];
  /** This device's role, or undefined when not a member. */
  role: Role | undefined;
  chat: ChatEntry | undefined;
}

export const DEFAULT_POLICY: GroupPolicy = {
  joinPolicy: 'invite-only',
  mayInvite: 'admins',
  mayEditInfo: 'admins',
  maySendMedia: 'members',
  groupMuted: false,
  mutedMembers: [],
  piiPolicy: new Uint8Array(0),
};

function refOf(g: GroupRef): { hex: string; bytes: Uint8Array } {
  if (typeof g === 'string') {
    if (!/^[0-9a-fA-F]{32}$/.test(g)) throw new RangeError('"groupId" expected 32 hex digits');
    return { hex: g.toLowerCase(), bytes: hexToBytes(g.toLowerCase()) };
  }
  if (!isBytes(g) || g.length !== 16) throw new RangeError('"groupId" expected 16 bytes');
  return { hex: bytesToHex(g), bytes: g };
}

function memberIdArg(name: string, id: Uint8Array | string): Uint8Array {
  if (typeof id === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(id)) throw new RangeError(`"${name}" expected 64 hex digits`);
    return hexToBytes(id.toLowerCase());
  }
  if (!isBytes(id) || id.length !== 32) throw new RangeError(`"${name}" expected 32 bytes`);
  return id;
}

function sortIds(ids: Uint8Array[]): Uint8Array[] {
  return [...ids].sort((a, b) => {
    for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  });
}

export class ChatClient {
  readonly events: Emitter<ChatEvents>;
  private started = false;
  private closed = false;
  private prekeyTimer: TimerHandle | null = null;
  private userReceiver: ((m: IncomingPlaintext) => Promise<void>) | null = null;
  private userBatchReceiver: ((ms: readonly IncomingPlaintext[]) => Promise<void>) | null = null;

  constructor(
    private readonly opts: ChatClientOptions,
    readonly account: DeviceAccount,
    readonly relay: RelayClient,
    readonly groupEngine: GroupEngine,
    readonly history: History,
    readonly chatList: ChatList,
    private readonly now: () => number,
  ) {
    this.events = new Emitter<ChatEvents>();
    const e = groupEngine.events;
    const forward = <K extends keyof ChatEvents & keyof EngineEvents>(name: K) => e.on(name, (payload) => this.events.emit(name, payload as ChatEvents[K]));
    for (const name of ['membership', 'groupInfo', 'alarm', 'gap', 'joinRequest', 'plaintext', 'connection', 'error'] as const) forward(name);
    e.on('status', (s) => {
      if (s.status === 'active') {
        void this.chatList.ensure(bytesToHex(s.groupId), this.now()).catch((error) => this.events.emit('error', { groupId: s.groupId, operation: 'chatList.ensure', error }));
        void this.maintainPrekeys().catch((error) => this.events.emit('error', { groupId: null, operation: 'prekeys', error }));
      }
      this.events.emit('status', s);
    });
    groupEngine.setBatchReceiver(async (ms) => {
      if (this.userBatchReceiver) await this.userBatchReceiver(ms);
      else {
        for (const m of ms) {
          if (this.userReceiver) await this.userReceiver(m);
          else this.events.emit('plaintext', m);
        }
      }
      const groups = new Map(ms.map((m) => [bytesToHex(m.groupId), m.groupId]));
      for (const g of groups.values()) this.emitUnread(g);
    });
  }

  /** The messaging seam (client/src/sdk/messaging-seam.ts): what the messaging layer builds on. */
  get engine(): GroupMessaging {
    // A variable, not a literal of the interface: setBatchReceiver is an optional, additive seam member.
    const seam = {
      selfId: this.groupEngine.selfId,
      sendPlaintext: (g: Uint8Array, pt: Uint8Array, id: Uint8Array) => this.groupEngine.sendPlaintext(g, pt, id),
      setReceiver: (r: (m: IncomingPlaintext) => Promise<void>) => {
        this.userReceiver = r;
      },
      setBatchReceiver: (r: (ms: readonly IncomingPlaintext[]) => Promise<void>) => {
        this.userBatchReceiver = r;
      },
      publicState: (g: Uint8Array) => this.groupEngine.publicState(g),
      groupInfo: (g: Uint8Array) => this.groupEngine.groupInfo(g),
      uploadBlob: (g: Uint8Array, b: Uint8Array) => this.groupEngine.uploadBlob(g, b),
      downloadBlob: (id: Uint8Array) => this.groupEngine.downloadBlob(id),
    };
    return seam;
  }

  get memberId(): Uint8Array {
    return this.account.memberId.slice();
  }

  get memberIdHex(): string {
    // The device identity never changes: computed once (UIs and event handlers ask per message).
    return (this.memberIdHexCache ??= bytesToHex(this.account.memberId));
  }
  private memberIdHexCache: string | undefined;

  get identityKey(): Uint8Array {
    return this.account.identity.publicKey.slice();
  }

  get connectionState(): ConnectionState {
    return this.relay.connection.state;
  }

  on<K extends keyof ChatEvents>(event: K, listener: (payload: ChatEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  private guard(op: string): void {
    if (this.closed) throw sdkError(SDK_CLOSED, 'the client was closed', op);
  }

  // --- lifecycle --------------------------------------------------------------------

  /** Registers (login, prekey upload) and connects; resumes every group from its persisted cursors. */
  async start(): Promise<void> {
    this.guard('start');
    if (this.started) return;
    this.started = true;
    await this.relay.sessions.ensure();
    await this.maintainPrekeys();
    this.groupEngine.start();
    const every = this.opts.prekeyCheckMs ?? 60 * 60 * 1000;
    const tick = () => {
      this.prekeyTimer = this.opts.platform.setTimer(() => {
        void this.maintainPrekeys()
          .catch((error) => this.events.emit('error', { groupId: null, operation: 'prekeys', error }))
          .finally(() => {
            if (!this.closed) tick();
          });
      }, every);
    };
    tick();
  }

  /** Resolves when connected and resumed (state 'ready'). */
  whenReady(timeoutMs = 10_000): Promise<void> {
    return this.relay.connection.whenReady(timeoutMs);
  }

  /** Rotates the signed prekey when due, drops the retired one after its retention, tops up one-time prekeys, uploads. */
  async maintainPrekeys(): Promise<void> {
    const todo = await this.account.maintain(this.now());
    if (!todo) return;
    await this.relay.api.uploadPrekeys(todo.upload);
    await todo.commit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.prekeyTimer !== null) this.opts.platform.clearTimer(this.prekeyTimer);
    await this.relay.connection.stop();
    await this.groupEngine.close();
    this.chatList.close();
    await this.history.close();
    this.events.clear();
  }

  // --- identity -----------------------------------------------------------------------

  /** The 60-digit safety number with a member of any group of this device (or a known peer). */
  safetyNumber(memberId: Uint8Array | string): string {
    const id = memberIdArg('memberId', memberId);
    const known = this.account.peer(id)?.identityKey ?? this.identityKeyInGroups(id);
    if (!known) throw sdkError(SDK_UNKNOWN_GROUP, 'this member is in no group of this device', 'safetyNumber');
    return this.account.safetyNumberWith(known);
  }

  private identityKeyInGroups(id: Uint8Array): Uint8Array | undefined {
    for (const g of this.groupEngine.groupIds()) {
      const m = this.groupEngine.snapshot(g)?.state.members.find((x) => bytesToHex(x.memberId) === bytesToHex(id));
      if (m) return m.identityKey;
    }
    return undefined;
  }

  // --- groups ------------------------------------------------------------------------

  async createGroup(o: CreateGroupOptions): Promise<Uint8Array> {
    this.guard('createGroup');
    if (typeof o?.name !== 'string') throw new TypeError('"name" expected a string');
    const policy: GroupPolicy = { ...DEFAULT_POLICY, ...(o.policy ?? {}), mutedMembers: [] };
    const info: GroupInfo = { type: o.type ?? 'normal', name: o.name, announcement: o.announcement ?? '', avatar: o.avatar ?? new Uint8Array(0) };
    const id = await this.groupEngine.createGroup(policy, info);
    await this.chatList.ensure(bytesToHex(id), this.now());
    return id;
  }

  /** Adds a member by its member ID (32 bytes or 64 hex digits). */
  async invite(group: GroupRef, memberId: Uint8Array | string): Promise<void> {
    this.guard('invite');
    await this.groupEngine.invite(refOf(group).bytes, memberIdArg('memberId', memberId));
  }

  /** An invite link (share-card payload) valid until `expiresAt` (ms) for `maxUses` join requests. */
  createInviteLink(group: GroupRef, o: { expiresAt: number; maxUses: number }): Promise<string> {
    this.guard('createInviteLink');
    return this.groupEngine.createInviteLink(refOf(group).bytes, o.expiresAt, o.maxUses);
  }

  /**
   * Asks to join through a link. Resolves once the request is posted; the group appears
   * (status 'active', membership 'joined') when a member commits the add: at once for an
   * open group, after approval otherwise. `waitForGroup` waits for it.
   */
  async join(link: string, o: { name?: string } = {}): Promise<{ groupId: Uint8Array; requestId: number }> {
    this.guard('join');
    return this.groupEngine.requestJoin(link, o.name ?? '');
  }

  waitForGroup(group: GroupRef, timeoutMs = 30_000): Promise<void> {
    return this.groupEngine.waitForGroup(refOf(group).hex, timeoutMs);
  }

  joinRequests(group: GroupRef): JoinRequestEvent[] {
    return this.groupEngine.pendingJoinRequests(refOf(group).hex);
  }

  approve(group: GroupRef, requestId: number): Promise<void> {
    this.guard('approve');
    return this.groupEngine.approve(refOf(group).hex, requestId);
  }

  deny(group: GroupRef, requestId: number): Promise<void> {
    this.guard('deny');
    return this.groupEngine.deny(refOf(group).hex, requestId);
  }

  async kick(group: GroupRef, memberIds: (Uint8Array | string)[] | Uint8Array | string): Promise<void> {
    this.guard('kick');
    const list = Array.isArray(memberIds) ? memberIds : [memberIds];
    await this.groupEngine.kick(refOf(group).hex, list.map((m, i) => memberIdArg(`memberIds[${i}]`, m)));
  }

  /** Leaves (a signed request; a remaining member's client commits the removal). The owner must transfer ownership first. */
  leave(group: GroupRef): Promise<void> {
    this.guard('leave');
    return this.groupEngine.leave(refOf(group).hex);
  }

  async dissolve(group: GroupRef): Promise<void> {
    this.guard('dissolve');
    await this.groupEngine.dissolve(refOf(group).hex);
  }

  async transferOwnership(group: GroupRef, newOwner: Uint8Array | string): Promise<void> {
    this.guard('transferOwnership');
    await this.groupEngine.transferOwnership(refOf(group).hex, memberIdArg('newOwner', newOwner));
  }

  async setRole(group: GroupRef, memberId: Uint8Array | string, role: 'admin' | 'member'): Promise<void> {
    this.guard('setRole');
    if (role !== 'admin' && role !== 'member') throw new RangeError('"role" expected admin or member (ownership moves with transferOwnership)');
    await this.groupEngine.setRole(refOf(group).hex, memberIdArg('memberId', memberId), role);
  }

  async muteMember(group: GroupRef, memberId: Uint8Array | string, muted: boolean): Promise<void> {
    this.guard('muteMember');
    const id = memberIdArg('memberId', memberId);
    await this.groupEngine.setPolicy(refOf(group).hex, (p) => {
      const rest = p.mutedMembers.filter((m) => bytesToHex(m) !== bytesToHex(id));
      return { ...p, mutedMembers: sortIds(muted ? [...rest, id] : rest) };
    });
  }

  async muteGroup(group: GroupRef, muted: boolean): Promise<void> {
    this.guard('muteGroup');
    await this.groupEngine.setPolicy(refOf(group).hex, (p) => ({ ...p, groupMuted: !!muted }));
  }

  async setPolicy(group: GroupRef, change: Partial<Omit<GroupPolicy, 'mutedMembers'>>): Promise<void> {
    this.guard('setPolicy');
    await this.groupEngine.setPolicy(refOf(group).hex, (p) => ({ ...p, ...change, mutedMembers: p.mutedMembers }));
  }

  /** Edits the encrypted group info (name, announcement, avatar, type); omitted fields stay. */
  async setInfo(group: GroupRef, change: Partial<GroupInfo>): Promise<void> {
    this.guard('setInfo');
    const r = refOf(group);
    const snap = this.groupEngine.snapshot(r.hex);
    if (snap && !canEditInfo(snap.state, this.account.memberId)) throw sdkError(SDK_FORBIDDEN, 'this member may not edit the group info', 'setInfo');
    await this.groupEngine.setInfo(r.hex, (cur) => ({ ...cur, ...change }));
  }

  /** Commits a fresh epoch secret now (e.g. after a suspected compromise). */
  async rotate(group: GroupRef): Promise<void> {
    this.guard('rotate');
    await this.groupEngine.rotate(refOf(group).hex);
  }

  // --- the user's own chat list ---------------------------------------------------------

  pin(group: GroupRef, pinned: boolean): Promise<void> {
    return this.chatList.setPinned(refOf(group).hex, pinned);
  }

  /** Notification mute (per user, local): the group raises no alerts; mentions still may. */
  muteNotifications(group: GroupRef, muted: boolean): Promise<void> {
    return this.chatList.setMuted(refOf(group).hex, muted);
  }

  setRemark(group: GroupRef, remark: string): Promise<void> {
    return this.chatList.setRemark(refOf(group).hex, remark);
  }

  /** Hides a member's messages locally (history keeps them; unread counts skip them). */
  block(memberId: Uint8Array | string, blocked: boolean): Promise<void> {
    return this.history.setBlocked(bytesToHex(memberIdArg('memberId', memberId)), blocked);
  }

  async markRead(group: GroupRef, seq: number): Promise<void> {
    const r = refOf(group);
    await this.chatList.markRead(r.hex, seq);
    this.emitUnread(r.bytes);
  }

  private emitUnread(groupId: Uint8Array): void {
    // Counting walks the unread messages of every chat: skipped when nobody listens.
    if (!this.events.has('unread')) return;
    const c = this.chatList.get(bytesToHex(groupId));
    if (!c) return;
    this.events.emit('unread', { groupId: groupId.slice(), unread: c.unread, mentionUnread: c.mentionUnread, totalUnread: this.chatList.totalUnread() });
  }

  // --- messages (raw) -----------------------------------------------------------------

  /**
   * Sends opaque content bytes (the messaging layer's encoding) with a fresh time-ordered
   * client message ID. Front ends use the messaging layer's send calls instead.
   */
  sendPlaintext(group: GroupRef, plaintext: Uint8Array | string): Promise<SentPlaintext> {
    this.guard('sendPlaintext');
    const bytes = typeof plaintext === 'string' ? utf8Encode(plaintext) : plaintext;
    return this.groupEngine.sendPlaintext(refOf(group).bytes, bytes, this.newClientMessageId());
  }

  /** 16 bytes: 6 bytes of milliseconds, then 10 random (time-ordered, as the relay prefers). */
  newClientMessageId(): Uint8Array {
    const out = new Uint8Array(16);
    let t = this.now();
    for (let i = 5; i >= 0; i--) {
      out[i] = t % 256;
      t = Math.floor(t / 256);
    }
    out.set(this.opts.primitives.randomBytes(10), 6);
    return out;
  }

  // --- queries ----------------------------------------------------------------------

  group(group: GroupRef): GroupSummary | undefined {
    const r = refOf(group);
    const snap = this.groupEngine.snapshot(r.hex);
    if (!snap) return undefined;
    return this.summaryOf(snap);
  }

  groups(): GroupSummary[] {
    return this.groupEngine
      .groupIds()
      .map((id) => this.groupEngine.snapshot(id))
      .filter((s): s is GroupSnapshot => !!s)
      .map((s) => this.summaryOf(s));
  }

  private summaryOf(snap: GroupSnapshot): GroupSummary {
    const hex = bytesToHex(snap.groupId);
    const st: PublicGroupState = snap.state;
    const me = st.members.find((m) => bytesToHex(m.memberId) === this.memberIdHex);
    return {
      ...snap,
      groupIdHex: hex,
      members: st.members.map((m) => ({ memberId: m.memberId.slice(), role: m.role, leaveRequested: m.leaveRequested })),
      role: snap.status === 'active' ? me?.role : undefined,
      chat: this.chatList.get(hex),
    };
  }

  /** Whether this device may invite in the group now. */
  mayInvite(group: GroupRef): boolean {
    const snap = this.groupEngine.snapshot(refOf(group).hex);
    return !!snap && snap.status === 'active' && canInvite(snap.state, this.account.memberId) && snap.state.members.length < MAX_GROUP_MEMBERS;
  }

  /** Resolves once every queued step of the group (frames, commits) has run: for tests and UIs that want a settled view. */
  idle(group: GroupRef): Promise<void> {
    return this.groupEngine.idle(refOf(group).hex);
  }
}

/** Opens (or creates) the device account, the history and the chat list, and wires the relay client. Call start() to connect. */
export async function createChatClient(opts: ChatClientOptions): Promise<ChatClient> {
  if (!opts || !opts.platform || !opts.primitives || !opts.store) throw new TypeError('"platform", "primitives" and "store" are required');
  if (typeof opts.relayUrl !== 'string' || !/^https?:\/\//.test(opts.relayUrl)) throw new TypeError('"relayUrl" expected an http(s):// URL');
  const p = opts.primitives;
  const now = opts.now ?? (() => opts.platform.now());
  let onIdentity: (c: IdentityChange) => void = () => undefined;
  const account = await DeviceAccount.open(p, opts.store, now(), (c) => onIdentity(c));
  const relay = createRelayClient({
    platform: opts.platform,
    httpUrl: opts.relayUrl,
    ...(opts.wsUrl ? { wsUrl: opts.wsUrl } : {}),
    identityKey: account.identity.publicKey,
    sign: (challenge) => signRelayAuthChallenge(p, account.identity.seed, challenge),
    random: opts.random ?? ((n: number) => p.randomBytes(n)),
    ...(opts.connection ? { connection: opts.connection } : {}),
  });
  const engine = new GroupEngine({
    p,
    store: opts.store,
    account,
    api: relay.api,
    connection: relay.connection,
    now,
    setTimer: (fn, ms) => opts.platform.setTimer(fn, ms),
    clearTimer: (h) => opts.platform.clearTimer(h),
    ...(opts.engine ? { options: opts.engine } : {}),
  });
  await engine.load();
  // A threshold of its own from 512..767 (randomness from the primitives: the mini program has no Math.random).
  const spread = p.randomBytes(1)[0]!;
  const history = await openHistory(opts.store, { mergeDeltaAt: MERGE_DELTA_MIN_MESSAGES + spread });
  const chatList = await openChatList(opts.store, history, bytesToHex(account.memberId));
  const client = new ChatClient(opts, account, relay, engine, history, chatList, now);
  onIdentity = (c) => {
    client.events.emit('identityChanged', c);
    client.events.emit('alarm', { groupId: null, kind: 'identity-changed', code: 'E2E_ERR_SDK_IDENTITY_MISMATCH', sender: c.memberId });
  };
  for (const id of engine.groupIds()) {
    const snap = engine.snapshot(id);
    if (snap?.status === 'active') await chatList.ensure(bytesToHex(id), 0);
  }
  return client;
}
