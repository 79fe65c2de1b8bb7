// A group member built from the crypto core only, for the malicious-relay tests: it logs in,
// keeps one WebSocket, applies every log entry with processEntry / joinFromWelcome, opens
// every message with decryptGroupMessage, and records what it accepted and what it refused
// (with the stable error code) as events the tests assert on. No SDK: this is what any
// client must do at the least, so an attack it detects is detectable by every client.
import WebSocket from 'ws';
import { bytesToHex, equalBytes, utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity, type DeviceIdentity } from '../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../../crypto/src/identity/prekeys';
import type { CommitResult, PrekeyLookup } from '../../../crypto/src/log/commit';
import { canSendInEpoch, epochView, type Alarm, type GroupMemberState } from '../../../crypto/src/log/member-state';
import { joinFromWelcome, processEntry } from '../../../crypto/src/log/private-fold';
import { decryptGroupMessage, encryptGroupMessage, startEpoch, type ReceiverState, type SenderState } from '../../../crypto/src/message';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { decodePrekeyBundle, type PrekeyBundle } from '../../../crypto/src/wire/identity';
import { decodeGroupMessageHeader } from '../../../crypto/src/wire/message';
import {
  decodeAuthChallengeResponse,
  decodeAuthSessionResponse,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
  encodeLogAppendRequest,
  encodePrekeyUpload,
} from '../../../crypto/src/wire/http-bodies';
import { signRelayAuthChallenge } from '../../../crypto/src/wire/relay-auth';
import { decodeRelayFrame, encodeClientFrame, FRAME, relayErrorName, type RelayFrame } from '../../../crypto/src/wire/relay-frames';

export type MemberEvent =
  | { kind: 'joined'; group: string; epoch: number }
  | { kind: 'entry'; group: string; index: number; epoch: number; duplicate: boolean }
  | { kind: 'entry-refused'; group: string; index: number; code: string }
  | { kind: 'alarm'; group: string; alarm: Alarm }
  | { kind: 'removed'; group: string }
  | { kind: 'message'; group: string; seq: number; text: string; from: string; epoch: number }
  | { kind: 'message-refused'; group: string; seq: number; code: string }
  | { kind: 'seq-gap'; group: string; expected: number; got: number }
  | { kind: 'seq-backwards'; group: string; last: number; got: number }
  | { kind: 'seq-filled'; group: string; seq: number }
  | { kind: 'relay-removed'; group: string };

interface GroupSlot {
  groupId: Uint8Array;
  state: GroupMemberState;
  sender: SenderState | null;
  receiver: ReceiverState | null;
  logLength: number;
  lastSeq: number;
  /** Sequence numbers skipped over (a gap): the resume cursor goes back to the first. */
  missing: Set<number>;
  /** Messages of an epoch this member has not reached yet, retried after each entry. */
  held: { seq: number; ciphertext: Uint8Array }[];
}

async function post(base: string, path: string, body: Uint8Array, token?: Uint8Array): Promise<{ status: number; bytes: Uint8Array }> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (token) headers.authorization = `Bearer ${bytesToHex(token)}`;
  const res = await fetch(base + path, { method: 'POST', headers, body: body as unknown as string });
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}

export class CoreMember {
  readonly events: MemberEvent[] = [];
  readonly groups = new Map<string, GroupSlot>();
  prekeys: PrekeyStore;
  token: Uint8Array = new Uint8Array(0);
  ws: WebSocket | null = null;
  /** Answers to this member's sends, by client message ID (hex). */
  private answers = new Map<string, (a: { ok: true; seq: number } | { ok: false; error: string }) => void>();
  private waiters: (() => void)[] = [];

  constructor(
    readonly p: Primitives,
    readonly name: string,
    readonly identity: DeviceIdentity = generateIdentity(p),
  ) {
    this.prekeys = createPrekeyStore(p, Date.now());
  }

  get id(): string {
    return bytesToHex(this.identity.memberId);
  }

  bundle(): PrekeyBundle {
    return decodePrekeyBundle(prekeyBundleOf(this.p, this.identity.seed, this.prekeys));
  }

  /** Challenge-response login over `httpUrl` (a malicious relay may hand it any bytes to sign). */
  async login(httpUrl: string): Promise<void> {
    const ch = await post(httpUrl, '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: this.identity.publicKey }));
    if (ch.status !== 200) throw new Error(`challenge refused: ${ch.status}`);
    const { challenge } = decodeAuthChallengeResponse(ch.bytes);
    const signature = signRelayAuthChallenge(this.p, this.identity.seed, challenge);
    const s = await post(httpUrl, '/v1/auth/session', encodeAuthSessionRequest({ challenge, signature }));
    if (s.status !== 200) throw new Error(`session refused: ${s.status}`);
    this.token = decodeAuthSessionResponse(s.bytes).token;
  }

  /** Publishes this device's signed prekey (no one-time prekeys) so others can box secrets to it. */
  async publishPrekeys(httpUrl: string): Promise<void> {
    const body = encodePrekeyUpload({ signedPrekey: prekeyBundleOf(this.p, this.identity.seed, this.prekeys), oneTimePrekeys: [] });
    const res = await fetch(`${httpUrl}/v1/prekeys`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bytesToHex(this.token)}`, 'content-type': 'application/octet-stream' },
      body: body as unknown as string,
    });
    if (res.status !== 204) throw new Error(`prekey upload refused: ${res.status}`);
  }

  /** Claims another member's prekey bundle from the relay (its signatures are checked by commitAdd). */
  async claimBundle(httpUrl: string, memberIdHex: string): Promise<PrekeyBundle> {
    const r = await post(httpUrl, `/v1/members/${memberIdHex}/prekey-claim`, new Uint8Array(0), this.token);
    if (r.status !== 200) throw new Error(`prekey claim refused: ${r.status}`);
    return decodePrekeyBundle(r.bytes);
  }

  /** Opens the socket (AUTH, READY, RESUME from this member's cursors) and waits for CAUGHT_UP of known groups. */
  async connect(wsUrl: string): Promise<void> {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    let ready = false;
    ws.on('message', (data: Buffer) => {
      const f = decodeRelayFrame(new Uint8Array(data));
      if (f.type === FRAME.READY) {
        ready = true;
        const cursors = [...this.groups.values()].map((g) => ({ groupId: g.groupId, messageAfter: cursorOf(g), logFrom: g.logLength }));
        ws.send(encodeClientFrame({ type: FRAME.RESUME, cursors }));
      } else {
        this.onFrame(f);
      }
      this.wake();
    });
    ws.on('close', () => this.wake());
    ws.send(encodeClientFrame({ type: FRAME.AUTH, token: this.token }));
    await this.until(() => ready, 'READY');
    const known = this.groups.size;
    if (known > 0) await this.until(() => this.events.length >= 0 && this.caughtUp >= known, 'CAUGHT_UP');
  }

  private caughtUp = 0;

  disconnect(): void {
    this.ws?.terminate();
    this.ws = null;
    this.caughtUp = 0;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits (bounded) until `pred` holds. */
  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  slot(groupId: Uint8Array): GroupSlot {
    const g = this.groups.get(bytesToHex(groupId));
    if (!g) throw new Error(`${this.name} is not in the group`);
    return g;
  }

  /** Adopts a state (after its own accepted commit or on joining) and enters its epoch. */
  adopt(groupId: Uint8Array, state: GroupMemberState, logLength: number): void {
    const hex = bytesToHex(groupId);
    const prev = this.groups.get(hex);
    const slot: GroupSlot = prev ?? { groupId: groupId.slice(), state, sender: null, receiver: null, logLength, lastSeq: 0, missing: new Set(), held: [] };
    slot.state = state;
    slot.logLength = Math.max(slot.logLength, logLength);
    this.groups.set(hex, slot);
    const view = epochView(this.p, state);
    if (!view) {
      slot.sender = null;
      return;
    }
    if (slot.receiver && slot.receiver.epochs[0]!.epoch === view.epoch) return;
    const st = startEpoch(this.p, view, this.identity.memberId, slot.receiver, { now: Date.now() });
    view.senderRoot.fill(0);
    slot.sender = st.senderState;
    slot.receiver = st.receiverState;
    // Messages that arrived before their epoch's entry get another chance.
    for (const h of slot.held.splice(0)) this.open(slot, h.seq, h.ciphertext);
  }

  private onFrame(f: RelayFrame): void {
    switch (f.type) {
      case FRAME.LOG_ENTRY:
        return this.onLogEntry(f.groupId, f.index, f.entry, f.envelope);
      case FRAME.MESSAGE:
        return this.onMessage(f.groupId, f.seq, f.ciphertext);
      case FRAME.CAUGHT_UP:
        this.caughtUp++;
        return;
      case FRAME.REMOVED:
        this.events.push({ kind: 'relay-removed', group: bytesToHex(f.groupId) });
        return;
      case FRAME.SEND_OK:
      case FRAME.ERROR: {
        const key = bytesToHex(f.clientMessageId);
        const done = this.answers.get(key);
        if (!done) return;
        this.answers.delete(key);
        done(f.type === FRAME.SEND_OK ? { ok: true, seq: f.seq } : { ok: false, error: relayErrorName(f.code) ?? String(f.code) });
        return;
      }
      default:
        return;
    }
  }

  /** Applies one log entry as the relay delivered it. */
  onLogEntry(groupId: Uint8Array, index: number, entry: Uint8Array, envelope: Uint8Array): void {
    const group = bytesToHex(groupId);
    const slot = this.groups.get(group);
    if (!slot) {
      if (envelope.length === 0) return; // an entry of a group this member is not in yet
      try {
        const j = joinFromWelcome(this.p, this.identity.memberId, this.prekeys, entry, envelope);
        this.prekeys = j.prekeys;
        this.adopt(groupId, j.state, index + 1);
        this.events.push({ kind: 'joined', group, epoch: j.state.public.epoch });
      } catch (e) {
        this.events.push({ kind: 'entry-refused', group, index, code: codeOf(e) });
      }
      return;
    }
    if (slot.state.removed) return;
    try {
      const r = processEntry(this.p, slot.state, this.prekeys, entry, envelope.length ? envelope : null);
      this.prekeys = r.prekeys;
      if (r.duplicate) {
        this.events.push({ kind: 'entry', group, index, epoch: slot.state.public.epoch, duplicate: true });
        slot.logLength = Math.max(slot.logLength, index + 1);
        return;
      }
      this.adopt(groupId, r.state, index + 1);
      this.events.push({ kind: 'entry', group, index, epoch: r.state.public.epoch, duplicate: false });
      if (r.alarm) this.events.push({ kind: 'alarm', group, alarm: r.alarm });
      if (r.removed) this.events.push({ kind: 'removed', group });
    } catch (e) {
      this.events.push({ kind: 'entry-refused', group, index, code: codeOf(e) });
    }
  }

  /** Opens one message as the relay delivered it. */
  onMessage(groupId: Uint8Array, seq: number, ciphertext: Uint8Array): void {
    const group = bytesToHex(groupId);
    const slot = this.groups.get(group);
    if (!slot) {
      this.events.push({ kind: 'message-refused', group, seq, code: 'NOT_IN_GROUP' });
      return;
    }
    if (slot.missing.delete(seq)) this.events.push({ kind: 'seq-filled', group, seq });
    else if (seq <= slot.lastSeq) this.events.push({ kind: 'seq-backwards', group, last: slot.lastSeq, got: seq });
    else if (seq !== slot.lastSeq + 1) {
      this.events.push({ kind: 'seq-gap', group, expected: slot.lastSeq + 1, got: seq });
      for (let s = slot.lastSeq + 1; s < seq; s++) slot.missing.add(s);
    }
    slot.lastSeq = Math.max(slot.lastSeq, seq);
    this.open(slot, seq, ciphertext);
  }

  private open(slot: GroupSlot, seq: number, ciphertext: Uint8Array): void {
    const group = bytesToHex(slot.groupId);
    if (!slot.receiver) {
      this.events.push({ kind: 'message-refused', group, seq, code: 'E2E_ERR_NO_EPOCH_SECRET' });
      return;
    }
    try {
      const d = decryptGroupMessage(this.p, slot.receiver, ciphertext, { now: Date.now() });
      slot.receiver = d.nextState;
      this.events.push({ kind: 'message', group, seq, text: utf8DecodeStrict(d.plaintext) ?? '', from: bytesToHex(d.sender.memberId), epoch: d.header.epoch });
    } catch (e) {
      const code = codeOf(e);
      this.events.push({ kind: 'message-refused', group, seq, code });
      // A later epoch than this member holds: the entry may still be on its way (or withheld).
      if (code === 'E2E_ERR_UNKNOWN_EPOCH' && slot.held.length < 64 && decodeGroupMessageHeader(ciphertext).epoch > slot.state.public.epoch) {
        slot.held.push({ seq, ciphertext: ciphertext.slice() });
      }
    }
  }

  /** Encrypts `text` for the group's current epoch (advancing the sender chain). */
  encrypt(groupId: Uint8Array, text: string): Uint8Array {
    const slot = this.slot(groupId);
    if (!slot.sender) throw new Error(`${this.name} has no sender chain`);
    const prepared = encryptGroupMessage(this.p, slot.sender, utf8Encode(text), { identitySeed: this.identity.seed });
    slot.sender = prepared.nextState;
    return prepared.release(slot.sender);
  }

  /** Sends a message; resolves with the relay's answer (SEND_OK seq or the ERROR name). */
  async send(groupId: Uint8Array, text: string, ciphertext = this.encrypt(groupId, text)): Promise<{ ok: true; seq: number } | { ok: false; error: string }> {
    const clientMessageId = this.p.randomBytes(16);
    const answer = new Promise<{ ok: true; seq: number } | { ok: false; error: string }>((r) => this.answers.set(bytesToHex(clientMessageId), r));
    this.ws!.send(encodeClientFrame({ type: FRAME.SEND, clientMessageId, groupId, ciphertext }));
    const timeout = new Promise<{ ok: false; error: string }>((r) => setTimeout(() => r({ ok: false, error: 'TIMEOUT' }), 5000));
    return Promise.race([answer, timeout]);
  }

  canSend(groupId: Uint8Array): boolean {
    return canSendInEpoch(this.slot(groupId).state);
  }

  /** Appends a commit through `httpUrl`; on acceptance adopts the committer's state. Returns the status. */
  async append(httpUrl: string, groupId: Uint8Array | null, c: CommitResult, expectedHead?: Uint8Array): Promise<number> {
    const head = expectedHead ?? (groupId ? this.slot(groupId).state.public.headHash : new Uint8Array(32));
    const body = encodeLogAppendRequest({ expectedHead: head, entry: c.entry, envelopes: c.envelopes });
    const r = await post(httpUrl, groupId ? `/v1/groups/${bytesToHex(groupId)}/log` : '/v1/groups', body, this.token);
    if (r.status === 200 || r.status === 201) {
      const gid = c.state.public.groupId;
      const prevLength = groupId ? this.slot(groupId).logLength : 0;
      this.adopt(gid, c.state, prevLength + 1);
    }
    return r.status;
  }

  state(groupId: Uint8Array): GroupMemberState {
    return this.slot(groupId).state;
  }

  messages(groupId?: Uint8Array): Extract<MemberEvent, { kind: 'message' }>[] {
    const g = groupId ? bytesToHex(groupId) : null;
    return this.events.filter((e): e is Extract<MemberEvent, { kind: 'message' }> => e.kind === 'message' && (g === null || e.group === g));
  }

  refusals(): string[] {
    return this.events.flatMap((e) => (e.kind === 'message-refused' || e.kind === 'entry-refused' ? [e.code] : []));
  }
}

/** Resume cursor: before the first missing sequence number, else the last one seen. */
function cursorOf(g: GroupSlot): number {
  return g.missing.size ? Math.min(...g.missing) - 1 : g.lastSeq;
}

export function codeOf(e: unknown): string {
  if (isE2eeError(e)) return e.code;
  if (e instanceof TypeError || e instanceof RangeError) return e.name;
  throw e;
}

/** A prekey lookup from the members' own published bundles (the tests' honest directory). */
export function prekeyDirectory(members: CoreMember[]): PrekeyLookup {
  return (memberId) => {
    const m = members.find((x) => equalBytes(x.identity.memberId, memberId));
    if (!m) return undefined;
    const b = m.bundle();
    return { prekeyKind: 'signed', prekeyId: b.signedPrekey.id, prekey: b.signedPrekey.publicKey };
  };
}
