// Attacks by a malicious relay (docs/ADVERSARIAL.md "Malicious relay"). A real relay runs
// behind a proxy that misbehaves as each test programs it (malicious-relay.ts); the members
// are crypto-core clients (core-member.ts) that verify everything. Each test names the
// attack and asserts what the members detect and that no member accepts a forged message
// or a forged membership change.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../../crypto/src/bytes';
import { signWithLabel, verifyWithLabel } from '../../../crypto/src/kdf';
import { SIG } from '../../../crypto/src/labels';
import { commitAdd, commitRemove, commitRole, commitRotate, createGroup, type CommitResult } from '../../../crypto/src/log/commit';
import type { GroupMemberState } from '../../../crypto/src/log/member-state';
import { foldPublicEntry } from '../../../crypto/src/log/public-fold';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { decodeEnvelopeRecipient } from '../../../crypto/src/wire/envelope';
import {
  decodeLogAppendRequest,
  encodeAuthChallengeResponse,
  encodeLogAppendRequest,
  encodeLogAppendResponse,
} from '../../../crypto/src/wire/http-bodies';
import { encodeLogEntry, encodeLogEntryContent, headHashOfEntry, logEntrySignedPartOf } from '../../../crypto/src/wire/log-entry';
import { decodeClientFrame, encodeRelayFrame, FRAME, type RelayFrame } from '../../../crypto/src/wire/relay-frames';
import { buildEntry, DEFAULT_POLICY, makeDevice } from '../helpers/log';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { CoreMember, prekeyDirectory } from './core-member';
import { startMaliciousRelay, type MaliciousRelay } from './malicious-relay';

let p: Primitives;
const running: { relay: TestRelay; evil: MaliciousRelay; members: CoreMember[] }[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    for (const m of r.members) m.disconnect();
    await r.evil.close();
    await r.relay.cleanup();
  }
});

/** A real relay, the proxy in front of it, and `names.length` members of one group (the first owns it). */
async function setup(names: string[] = ['A', 'B', 'C', 'D']) {
  p ??= await loadDefaultPrimitives(nodeRandom);
  const relay = await startTestRelay();
  const evil = await startMaliciousRelay(relay.httpUrl, relay.wsUrl);
  const members = names.map((n) => new CoreMember(p, n));
  running.push({ relay, evil, members });
  for (const m of members) {
    await m.login(evil.httpUrl);
    await m.connect(evil.wsUrl);
  }
  const gid = await makeGroup(evil, members);
  return { relay, evil, members, gid, dir: prekeyDirectory(members) };
}

async function makeGroup(evil: MaliciousRelay, members: CoreMember[]): Promise<Uint8Array> {
  const [owner, ...rest] = members;
  const created = createGroup(p, owner!.identity, { policy: DEFAULT_POLICY });
  const gid = created.state.public.groupId;
  expect(await owner!.append(evil.httpUrl, null, created)).toBe(201);
  const add = commitAdd(p, owner!.identity, owner!.state(gid), rest.map((m) => m.bundle()));
  expect(await owner!.append(evil.httpUrl, gid, add)).toBe(200);
  for (const m of rest) await m.until(() => m.groups.has(bytesToHex(gid)), 'joined');
  return gid;
}

const texts = (m: CoreMember, gid?: Uint8Array) => m.messages(gid).map((e) => e.text);
const isMsg = (f: RelayFrame, gid: Uint8Array) => f.type === FRAME.MESSAGE && equalBytes(f.groupId, gid);
const isEntry = (f: RelayFrame, gid: Uint8Array) => f.type === FRAME.LOG_ENTRY && equalBytes(f.groupId, gid);
const head = (m: CoreMember, gid: Uint8Array) => bytesToHex(m.state(gid).public.headHash);

async function sendAll(m: CoreMember, gid: Uint8Array, list: string[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const t of list) {
    const r = await m.send(gid, t);
    if (!r.ok) throw new Error(`${m.name} send refused: ${r.error}`);
    seqs.push(r.seq);
  }
  return seqs;
}

/** The same entry with another confirmation MAC, signed again by the committer (a buggy or malicious member). */
function withBadMac(c: CommitResult, seed: Uint8Array, before: GroupMemberState): CommitResult {
  const content = c.entry.subarray(0, c.entry.length - 96);
  const mac = p.randomBytes(32);
  const signed = new Uint8Array(content.length + 32);
  signed.set(content);
  signed.set(mac, content.length);
  const entry = new Uint8Array(signed.length + 64);
  entry.set(signed);
  entry.set(signWithLabel(p, seed, SIG.LOG_ENTRY, signed), signed.length);
  // The committer's own view follows the entry it actually appended.
  return { ...c, entry, state: { ...c.state, public: foldPublicEntry(p, before.public, entry, c.envelopes) } };
}

describe('malicious relay: message delivery', () => {
  it('drop: a withheld message shows as a sequence gap; resuming from the cursor recovers it once', async () => {
    const { evil, members, gid } = await setup();
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    let dropped = 0;
    evil.controls.toDevice = (conn, raw, f) => (conn.memberId === c.id && isMsg(f, gid) && f.type === FRAME.MESSAGE && f.seq === 2 && dropped++ === 0 ? [] : [raw]);
    await sendAll(a, gid, ['one', 'two', 'three']);
    await c.until(() => c.messages(gid).length === 2, 'two messages');
    await b.until(() => b.messages(gid).length === 3, 'three messages');
    expect(texts(c, gid)).toEqual(['one', 'three']);
    expect(c.events).toContainEqual({ kind: 'seq-gap', group: bytesToHex(gid), expected: 2, got: 3 });
    // Reconnect: the cursor goes back before the gap; the relay (now honest) sends 2 and 3 again.
    c.disconnect();
    await c.connect(evil.wsUrl);
    await c.until(() => c.messages(gid).length === 3, 'recovered message');
    expect(texts(c, gid).sort()).toEqual(['one', 'three', 'two']);
    expect(c.refusals()).toEqual(['E2E_ERR_DUPLICATE_MESSAGE']); // the re-sent "three"
  });

  it('delay: messages held back arrive late, in order, and still open', async () => {
    const { evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId !== c.id || !isMsg(f, gid)) return [raw];
      setTimeout(() => conn.deliver(raw), 400);
      return [];
    };
    const t0 = Date.now();
    await sendAll(a, gid, ['m1', 'm2', 'm3']);
    await b.until(() => b.messages(gid).length === 3, 'b messages');
    await c.until(() => c.messages(gid).length === 3, 'c messages');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(texts(c, gid)).toEqual(['m1', 'm2', 'm3']);
    expect(c.refusals()).toEqual([]);
  });

  it('reorder: swapped messages both open once (skipped keys) and the member sees the sequence jump', async () => {
    const { evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, , c] = members as [CoreMember, CoreMember, CoreMember];
    let held: Uint8Array | null = null;
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId !== c.id || f.type !== FRAME.MESSAGE || !isMsg(f, gid)) return [raw];
      if (f.seq === 1) {
        held = raw;
        return [];
      }
      if (f.seq === 2 && held) return [raw, held];
      return [raw];
    };
    await sendAll(a, gid, ['first', 'second']);
    await c.until(() => c.messages(gid).length === 2, 'both');
    expect(texts(c, gid)).toEqual(['second', 'first']);
    expect(c.events).toContainEqual({ kind: 'seq-gap', group: bytesToHex(gid), expected: 1, got: 2 });
    expect(c.events).toContainEqual({ kind: 'seq-filled', group: bytesToHex(gid), seq: 1 });
    expect(c.refusals()).toEqual([]);
  });

  it('duplicate: a message delivered twice is refused the second time; a duplicated log entry changes nothing', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    evil.controls.toDevice = (conn, raw, f) => (conn.memberId === c.id && (isMsg(f, gid) || isEntry(f, gid)) ? [raw, raw] : [raw]);
    await sendAll(a, gid, ['once', 'only once']);
    await c.until(() => c.refusals().length === 2, 'duplicates refused');
    expect(texts(c, gid)).toEqual(['once', 'only once']);
    expect(c.refusals()).toEqual(['E2E_ERR_DUPLICATE_MESSAGE', 'E2E_ERR_DUPLICATE_MESSAGE']);
    const rot = commitRotate(p, b.identity, b.state(gid), dir);
    expect(await b.append(evil.httpUrl, gid, rot)).toBe(200);
    await c.until(() => c.events.filter((e) => e.kind === 'entry').length === 2, 'entry twice');
    const entries = c.events.filter((e) => e.kind === 'entry');
    expect(entries.map((e) => e.kind === 'entry' && e.duplicate)).toEqual([false, true]);
    expect(c.state(gid).public.epoch).toBe(2);
    expect(head(c, gid)).toBe(head(b, gid));
  });
});

describe('malicious relay: replays', () => {
  it('replay across groups: a message of one group pushed into another is refused, rewritten or not', async () => {
    const { evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    const gid2 = await makeGroup(evil, [a, b, c]);
    await sendAll(a, gid, ['for group one']);
    await c.until(() => c.messages(gid).length === 1, 'group one message');
    const original = evil.seen.find((s) => s.to === c.id && isMsg(s.frame, gid))!.frame as Extract<RelayFrame, { type: typeof FRAME.MESSAGE }>;
    const conn = evil.connectionOf(c.id)!;
    // 1. as is, under the other group's ID and the next sequence number there
    conn.deliver(encodeRelayFrame({ ...original, groupId: gid2, seq: 1 }));
    // 2. with the group ID inside the message header rewritten too
    const rewritten = original.ciphertext.slice();
    rewritten.set(gid2, 1);
    conn.deliver(encodeRelayFrame({ ...original, groupId: gid2, seq: 2, ciphertext: rewritten }));
    await c.until(() => c.refusals().length === 2, 'refusals');
    expect(c.refusals()[0]).toBe('E2E_ERR_WRONG_GROUP');
    expect(['E2E_ERR_BAD_SIGNATURE', 'E2E_ERR_UNKNOWN_SENDER', 'E2E_ERR_OWN_MESSAGE']).toContain(c.refusals()[1]);
    expect(c.messages(gid2)).toEqual([]);
    void b;
  });

  it('replay across epochs: an old message replayed after a rotation is refused, and relabelled with the new epoch it fails the signature', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    await sendAll(a, gid, ['epoch one']);
    await c.until(() => c.messages(gid).length === 1, 'first');
    const original = evil.seen.find((s) => s.to === c.id && isMsg(s.frame, gid))!.frame as Extract<RelayFrame, { type: typeof FRAME.MESSAGE }>;
    const rot = commitRotate(p, b.identity, b.state(gid), dir);
    expect(await b.append(evil.httpUrl, gid, rot)).toBe(200);
    await c.until(() => c.state(gid).public.epoch === 2, 'rotation');
    await a.until(() => a.state(gid).public.epoch === 2, 'rotation at A');
    const conn = evil.connectionOf(c.id)!;
    conn.deliver(encodeRelayFrame({ ...original, seq: 50 }));
    const relabelled = original.ciphertext.slice();
    new DataView(relabelled.buffer).setUint32(17, 2);
    conn.deliver(encodeRelayFrame({ ...original, seq: 51, epoch: 2, ciphertext: relabelled }));
    await c.until(() => c.refusals().length === 2, 'refusals');
    expect(c.refusals()).toEqual(['E2E_ERR_DUPLICATE_MESSAGE', 'E2E_ERR_BAD_SIGNATURE']);
    expect(texts(c, gid)).toEqual(['epoch one']);
  });
});

describe('malicious relay: forged and ghost log entries', () => {
  it('ghost member: an add signed by a key outside the group is refused by every member; the state does not move', async () => {
    const { relay, evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    const attacker = makeDevice(p);
    const ghost = makeDevice(p);
    const forged = buildEntry(p, attacker, a.state(gid).public, { kind: 'add', identityKeys: [ghost.identityKey] });
    expect(forged.valid).toBe(false);
    const before = head(b, gid);
    for (const m of [b, c]) {
      evil.connectionOf(m.id)!.deliver(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: gid, index: 2, entry: forged.entry, envelope: new Uint8Array(0) }));
    }
    // The same entry with an existing member named as actor (signature by the attacker).
    const impersonated = buildEntry(p, { ...attacker, memberId: a.identity.memberId }, a.state(gid).public, { kind: 'add', identityKeys: [ghost.identityKey] });
    evil.connectionOf(b.id)!.deliver(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: gid, index: 2, entry: impersonated.entry, envelope: new Uint8Array(0) }));
    await b.until(() => b.refusals().length === 2, 'b refusals');
    await c.until(() => c.refusals().length === 1, 'c refusals');
    expect(b.refusals()).toEqual(['E2E_ERR_UNAUTHORISED', 'E2E_ERR_BAD_SIGNATURE']);
    expect(c.refusals()).toEqual(['E2E_ERR_UNAUTHORISED']);
    for (const m of [b, c]) {
      expect(head(m, gid)).toBe(before);
      expect(m.state(gid).public.members.some((x) => equalBytes(x.memberId, ghost.memberId))).toBe(false);
    }
    // The real relay's public fold refuses it as well, whoever posts it.
    const body = encodeLogAppendRequest({ expectedHead: a.state(gid).public.headHash, entry: forged.entry, envelopes: [] });
    const direct = await fetch(`${relay.httpUrl}/v1/groups/${bytesToHex(gid)}/log`, { method: 'POST', headers: { authorization: `Bearer ${bytesToHex(a.token)}`, 'content-type': 'application/octet-stream' }, body: body as unknown as string });
    expect(direct.status).toBe(422);
    expect(await direct.json()).toMatchObject({ error: 'E2E_ERR_RELAY_REJECTED_ENTRY' });
  });

  it('forged entry: a real entry altered in transit fails its signature; the honest copy still applies after a resume', async () => {
    const { evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    let tampered = 0;
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId !== c.id || f.type !== FRAME.LOG_ENTRY || !isEntry(f, gid) || f.index !== 2 || tampered++) return [raw];
      const entry = f.entry.slice();
      entry[entry.length - 96 - 1]! ^= 0x01; // the role byte at the end of the content
      return [encodeRelayFrame({ ...f, entry })];
    };
    const role = commitRole(p, a.identity, a.state(gid), b.identity.memberId, 'admin');
    expect(await a.append(evil.httpUrl, gid, role)).toBe(200);
    await b.until(() => b.state(gid).public.epoch === 2, 'b applies');
    await c.until(() => c.refusals().length === 1, 'c refuses');
    expect(['E2E_ERR_BAD_SIGNATURE', 'E2E_ERR_MALFORMED']).toContain(c.refusals()[0]);
    expect(c.state(gid).public.epoch).toBe(1);
    c.disconnect();
    await c.connect(evil.wsUrl);
    await c.until(() => c.state(gid).public.epoch === 2, 'c applies the honest copy');
    expect(head(c, gid)).toBe(head(a, gid));
    expect(c.state(gid).public.members.find((m) => equalBytes(m.memberId, b.identity.memberId))!.role).toBe('admin');
  });

  it('ghost sender: messages naming a sender index outside the group, or signed by an outsider, are refused', async () => {
    const { evil, members, gid } = await setup(['A', 'B', 'C']);
    const [a, , c] = members as [CoreMember, CoreMember, CoreMember];
    await sendAll(a, gid, ['real']);
    await c.until(() => c.messages(gid).length === 1, 'real');
    const original = evil.seen.find((s) => s.to === c.id && isMsg(s.frame, gid))!.frame as Extract<RelayFrame, { type: typeof FRAME.MESSAGE }>;
    const ghostIndex = original.ciphertext.slice();
    new DataView(ghostIndex.buffer).setUint16(21, 7);
    // An outsider signs a message over A's header (it has no key of the group either).
    const outsider = original.ciphertext.slice();
    new DataView(outsider.buffer).setUint32(23, 1);
    const signed = signWithLabel(p, makeDevice(p).seed, SIG.GROUP_MESSAGE, outsider.subarray(0, outsider.length - 64));
    outsider.set(signed, outsider.length - 64);
    const conn = evil.connectionOf(c.id)!;
    conn.deliver(encodeRelayFrame({ ...original, seq: 2, ciphertext: ghostIndex }));
    conn.deliver(encodeRelayFrame({ ...original, seq: 3, ciphertext: outsider }));
    await c.until(() => c.refusals().length === 2, 'refusals');
    expect(c.refusals()).toEqual(['E2E_ERR_UNKNOWN_SENDER', 'E2E_ERR_BAD_SIGNATURE']);
    expect(texts(c, gid)).toEqual(['real']);
  });
});

describe('malicious relay: forks and withheld membership changes', () => {
  it('fork: members shown different heads refuse each other\'s messages; each side sees the other\'s traffic fail', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C', 'D']);
    const [a, b, c, d] = members as [CoreMember, CoreMember, CoreMember, CoreMember];
    const forkSide = new Set([b.id, c.id]);
    let stolen: { entry: Uint8Array; envelopes: Uint8Array[] } | null = null;
    // B's rotation never reaches the real relay: the proxy answers "accepted" itself.
    evil.controls.onRequest = (req) => {
      if (req.method !== 'POST' || req.token !== bytesToHex(b.token) || !req.path.endsWith('/log')) return undefined;
      const r = decodeLogAppendRequest(req.body);
      stolen = { entry: r.entry, envelopes: r.envelopes };
      return { status: 200, contentType: 'application/octet-stream', body: encodeLogAppendResponse({ index: 2, head: headHashOfEntry(p, r.entry), epoch: 2 }) };
    };
    // The fork side never sees the real entry 2.
    evil.controls.toDevice = (conn, raw, f) => (forkSide.has(conn.memberId) && f.type === FRAME.LOG_ENTRY && isEntry(f, gid) && f.index >= 2 ? [] : [raw]);
    expect(await b.append(evil.httpUrl, gid, commitRotate(p, b.identity, b.state(gid), dir))).toBe(200);
    expect(await a.append(evil.httpUrl, gid, commitRotate(p, a.identity, a.state(gid), dir))).toBe(200);
    await d.until(() => d.state(gid).public.epoch === 2, 'd on the real log');
    const envelopeForC = stolen!.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), c.identity.memberId))!;
    evil.connectionOf(c.id)!.deliver(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: gid, index: 2, entry: stolen!.entry, envelope: envelopeForC }));
    await c.until(() => c.state(gid).public.epoch === 2, 'c on the fork');
    // Same epoch number, two heads.
    expect(head(a, gid)).toBe(head(d, gid));
    expect(head(b, gid)).toBe(head(c, gid));
    expect(head(a, gid)).not.toBe(head(b, gid));
    // Both sides send; the real relay accepts both (epoch 2 exists there).
    await sendAll(b, gid, ['from the fork']);
    await sendAll(a, gid, ['from the real log']);
    await d.until(() => d.events.filter((e) => e.kind === 'message' || e.kind === 'message-refused').length === 2, 'd saw both');
    await c.until(() => c.events.filter((e) => e.kind === 'message' || e.kind === 'message-refused').length === 2, 'c saw both');
    await a.until(() => a.refusals().length === 1, 'a refused');
    await b.until(() => b.refusals().length === 1, 'b refused');
    expect(texts(d, gid)).toEqual(['from the real log']);
    expect(texts(c, gid)).toEqual(['from the fork']);
    expect(texts(a, gid)).toEqual([]);
    expect(texts(b, gid)).toEqual([]);
    for (const m of [a, b, c, d]) expect(m.refusals()).toEqual(['E2E_ERR_BAD_SIGNATURE']);
  });

  it('withheld kick: a member kept on the old epoch holds newer messages unopened and learns of the removal at its next send; the kicked member reads nothing', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'D', 'E']);
    const [a, b, d, e] = members as [CoreMember, CoreMember, CoreMember, CoreMember];
    let withholding = true;
    evil.controls.toDevice = (conn, raw, f) => (withholding && conn.memberId === d.id && isEntry(f, gid) ? [] : [raw]);
    const kick = commitRemove(p, a.identity, a.state(gid), [e.identity.memberId], dir);
    expect(await a.append(evil.httpUrl, gid, kick)).toBe(200);
    await b.until(() => b.state(gid).public.epoch === 2, 'b processed the kick');
    await e.until(() => e.events.some((x) => x.kind === 'relay-removed'), 'e cut off');
    await sendAll(a, gid, ['after the kick']);
    await b.until(() => b.messages(gid).length === 1, 'b got it');
    await d.until(() => d.refusals().length === 1, 'd could not open it');
    expect(d.refusals()).toEqual(['E2E_ERR_UNKNOWN_EPOCH']);
    expect(texts(d, gid)).toEqual([]);
    // D sends in the epoch it believes current: the real relay refuses it.
    const r = await d.send(gid, 'from the old epoch');
    expect(r).toEqual({ ok: false, error: 'STALE_EPOCH' });
    // E, kicked, got nothing after the kick.
    expect(texts(e, gid)).toEqual([]);
    // The proxy gives up: D resumes, applies the removal and opens the held message.
    withholding = false;
    d.disconnect();
    await d.connect(evil.wsUrl);
    await d.until(() => texts(d, gid).length === 1, 'd opens the held message');
    expect(texts(d, gid)).toEqual(['after the kick']);
    expect(d.state(gid).public.members.some((m) => equalBytes(m.memberId, e.identity.memberId))).toBe(false);
  });

  it('withheld kick with a faked SEND_OK: the withheld member\'s old-epoch message reaches the kicked member (the stated limit); the others open it only as a message of the replaced epoch', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'D', 'E']);
    const [a, b, d, e] = members as [CoreMember, CoreMember, CoreMember, CoreMember];
    const hidden = new Set([d.id, e.id]);
    evil.controls.toDevice = (conn, raw, f) => (hidden.has(conn.memberId) && (isEntry(f, gid) || f.type === FRAME.REMOVED) ? [] : [raw]);
    // D's sends never reach the real relay (which would answer STALE_EPOCH): the proxy answers
    // SEND_OK itself and hands the message to everyone, the kicked E included.
    evil.controls.toRelay = (conn, raw) => {
      if (conn.memberId !== d.id || raw[0] !== FRAME.SEND) return [raw];
      const f = decodeClientFrame(raw);
      if (f.type !== FRAME.SEND) return [raw];
      conn.deliver(encodeRelayFrame({ type: FRAME.SEND_OK, clientMessageId: f.clientMessageId, groupId: f.groupId, seq: 90, duplicate: false }));
      for (const m of [a, b, e]) evil.connectionOf(m.id)!.deliver(encodeRelayFrame({ type: FRAME.MESSAGE, groupId: gid, seq: 90, sender: d.identity.memberId, epoch: 1, sentAt: Date.now(), ciphertext: f.ciphertext }));
      return [];
    };
    const kick = commitRemove(p, a.identity, a.state(gid), [e.identity.memberId], dir);
    expect(await a.append(evil.httpUrl, gid, kick)).toBe(200);
    await b.until(() => b.state(gid).public.epoch === 2, 'b processed the kick');
    expect(await d.send(gid, 'd, unaware of the kick')).toEqual({ ok: true, seq: 90 });
    for (const m of [a, b, e]) await m.until(() => m.messages(gid).length === 1, `${m.name} got it`);
    // The limit of docs/PROTOCOL.md: D had not processed the kick, so E reads what D sends.
    expect(texts(e, gid)).toEqual(['d, unaware of the kick']);
    // A and B open it from the replaced epoch's chains (kept for the grace window): the message
    // says epoch 1 while they are in epoch 2, which is what a client can flag.
    for (const m of [a, b]) {
      expect(m.messages(gid)[0]).toMatchObject({ text: 'd, unaware of the kick', epoch: 1 });
      expect(m.state(gid).public.epoch).toBe(2);
    }
    // Anything sent after processing the kick stays out of E's reach.
    const [seq] = await sendAll(a, gid, ['after the kick']);
    await b.until(() => b.messages(gid).length === 2, 'b');
    const frame = evil.seen.find((x) => x.to === b.id && x.frame.type === FRAME.MESSAGE && x.frame.seq === seq)!.raw;
    evil.connectionOf(e.id)!.deliver(frame);
    await e.until(() => e.refusals().length === 1, 'e refused');
    expect(e.refusals()).toEqual(['E2E_ERR_UNKNOWN_EPOCH']);
    expect(texts(e, gid)).toEqual(['d, unaware of the kick']);
  });

  it('kicked member kept served: the proxy hides the kick from the kicked member and mirrors the group to it; it can open nothing sent after the kick', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'E']);
    const [a, b, e] = members as [CoreMember, CoreMember, CoreMember];
    evil.controls.keepServingAfterUpstreamClose = true;
    // Hide the kick from E (no entry, no REMOVED) and copy every message B receives to E.
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId === e.id) return f.type === FRAME.REMOVED || isEntry(f, gid) ? [] : [raw];
      if (conn.memberId === b.id && isMsg(f, gid)) evil.connectionOf(e.id)?.deliver(raw);
      return [raw];
    };
    const kick = commitRemove(p, a.identity, a.state(gid), [e.identity.memberId], dir);
    expect(await a.append(evil.httpUrl, gid, kick)).toBe(200);
    await b.until(() => b.state(gid).public.epoch === 2, 'b processed the kick');
    await sendAll(a, gid, ['secret after the kick', 'another one']);
    await b.until(() => b.messages(gid).length === 2, 'b');
    await e.until(() => e.refusals().length === 2, 'e refused');
    // E still believes it is a member of epoch 1 and holds no key of epoch 2.
    expect(e.state(gid).public.epoch).toBe(1);
    expect(e.refusals()).toEqual(['E2E_ERR_UNKNOWN_EPOCH', 'E2E_ERR_UNKNOWN_EPOCH']);
    expect(texts(e, gid)).toEqual([]);
    // Shown the removal later, it drops its keys and is out.
    const removal = evil.seen.find((s) => s.to === e.id && isEntry(s.frame, gid) && s.frame.type === FRAME.LOG_ENTRY && s.frame.index === 2);
    const entryFrame = removal?.frame ?? evil.seen.find((s) => s.to === b.id && s.frame.type === FRAME.LOG_ENTRY && s.frame.index === 2)!.frame;
    if (entryFrame.type !== FRAME.LOG_ENTRY) throw new Error('unreachable');
    evil.connectionOf(e.id)!.deliver(encodeRelayFrame({ ...entryFrame, envelope: new Uint8Array(0) }));
    await e.until(() => e.events.some((x) => x.kind === 'removed'), 'removed');
    expect(e.state(gid).epochSecret).toBe(null);
    expect(e.slot(gid).sender).toBe(null);
    expect(texts(e, gid)).toEqual([]);
  });

  it('kicked member talking in its old epoch: the relay refuses it, and injected by the proxy every member refuses it (sender removed)', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'E']);
    const [a, b, e] = members as [CoreMember, CoreMember, CoreMember];
    // E encrypts before the kick is known to it (its old sender chain), sends after.
    const late = e.encrypt(gid, 'still here');
    const kick = commitRemove(p, a.identity, a.state(gid), [e.identity.memberId], dir);
    expect(await a.append(evil.httpUrl, gid, kick)).toBe(200);
    await b.until(() => b.state(gid).public.epoch === 2, 'b processed the kick');
    await e.until(() => e.events.some((x) => x.kind === 'relay-removed'), 'e cut off');
    const r = await e.send(gid, '', late);
    expect(r.ok).toBe(false);
    for (const m of [a, b]) evil.connectionOf(m.id)!.deliver(encodeRelayFrame({ type: FRAME.MESSAGE, groupId: gid, seq: 99, sender: e.identity.memberId, epoch: 1, sentAt: Date.now(), ciphertext: late }));
    await a.until(() => a.refusals().length === 1, 'a refused');
    await b.until(() => b.refusals().length === 1, 'b refused');
    expect(a.refusals()).toEqual(['E2E_ERR_SENDER_REMOVED']);
    expect(b.refusals()).toEqual(['E2E_ERR_SENDER_REMOVED']);
  });
});

describe('malicious relay: commits the relay accepts but members cannot verify', () => {
  it('bad confirmation MAC: every other member raises the typed alarm and stops sending; a rotation on top heals the group', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    const bad = withBadMac(commitRotate(p, b.identity, b.state(gid), dir), b.identity.seed, b.state(gid));
    expect(await b.append(evil.httpUrl, gid, bad)).toBe(200); // the relay cannot check a MAC
    for (const m of [a, c]) {
      await m.until(() => m.events.some((x) => x.kind === 'alarm'), 'alarm');
      expect(m.events.find((x) => x.kind === 'alarm')).toMatchObject({ alarm: { code: 'E2E_ERR_COMMIT_UNVERIFIABLE', reason: 'bad-mac', epoch: 2 } });
      expect(m.canSend(gid)).toBe(false);
    }
    // Recovery: the alarmed C commits a rotation with a fresh secret.
    const heal = commitRotate(p, c.identity, c.state(gid), dir);
    expect(await c.append(evil.httpUrl, gid, heal)).toBe(200);
    for (const m of [a, b]) await m.until(() => m.state(gid).public.epoch === 3, 'healed');
    for (const m of [a, b, c]) expect(m.canSend(gid)).toBe(true);
    await sendAll(a, gid, ['healed']);
    await b.until(() => b.messages(gid).length === 1, 'b');
    await c.until(() => c.messages(gid).length === 1, 'c');
    expect([texts(b, gid), texts(c, gid)]).toEqual([['healed'], ['healed']]);
  });

  it('envelope that does not open: its recipient raises the alarm, the others go on; a rotation heals it', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    const junkKey = p.x25519PublicKey(p.randomBytes(32));
    const lookup = (id: Uint8Array) => (equalBytes(id, c.identity.memberId) ? { prekeyKind: 'signed' as const, prekeyId: 1, prekey: junkKey } : dir(id));
    expect(await a.append(evil.httpUrl, gid, commitRotate(p, a.identity, a.state(gid), lookup))).toBe(200);
    await c.until(() => c.events.some((x) => x.kind === 'alarm'), 'alarm');
    expect(c.events.find((x) => x.kind === 'alarm')).toMatchObject({ alarm: { reason: 'unopenable-envelope' } });
    await b.until(() => b.state(gid).public.epoch === 2, 'b');
    expect(b.canSend(gid)).toBe(true);
    expect(c.canSend(gid)).toBe(false);
    expect(await c.append(evil.httpUrl, gid, commitRotate(p, c.identity, c.state(gid), dir))).toBe(200);
    await a.until(() => a.state(gid).public.epoch === 3, 'a healed');
    await sendAll(a, gid, ['back']);
    await c.until(() => c.messages(gid).length === 1, 'c');
    expect(texts(c, gid)).toEqual(['back']);
  });

  it('envelope swapped in transit: the member refuses the entry (envelope mismatch) and applies the honest copy after a resume', async () => {
    const { evil, members, gid, dir } = await setup(['A', 'B', 'C']);
    const [a, b, c] = members as [CoreMember, CoreMember, CoreMember];
    let swapped = 0;
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId !== c.id || f.type !== FRAME.LOG_ENTRY || !isEntry(f, gid) || f.envelope.length === 0 || swapped++) return [raw];
      const envelope = f.envelope.slice();
      envelope[envelope.length - 1]! ^= 0xff;
      return [encodeRelayFrame({ ...f, envelope })];
    };
    expect(await a.append(evil.httpUrl, gid, commitRotate(p, a.identity, a.state(gid), dir))).toBe(200);
    await c.until(() => c.refusals().length === 1, 'refused');
    expect(c.refusals()).toEqual(['E2E_ERR_ENVELOPE_MISMATCH']);
    expect(c.state(gid).public.epoch).toBe(1);
    c.disconnect();
    await c.connect(evil.wsUrl);
    await c.until(() => c.state(gid).public.epoch === 2, 'honest copy');
    expect(head(c, gid)).toBe(head(b, gid));
  });
});

describe('malicious relay: auth challenge', () => {
  it('auth challenge that is a serialized log entry: the member refuses to sign it, and no auth signature verifies as a log entry', async () => {
    const { evil, members, gid } = await setup(['A', 'B']);
    const [a, b] = members as [CoreMember, CoreMember];
    // The relay wants A to sign a role change it wrote itself (making B admin).
    const fields = {
      version: 1 as const,
      groupId: gid,
      epoch: 2,
      prevHash: a.state(gid).public.headHash,
      actor: a.identity.memberId,
      body: { kind: 'role' as const, memberId: b.identity.memberId, role: 'admin' as const },
      recipients: [],
    };
    const content = encodeLogEntryContent(fields);
    const signedPart = new Uint8Array(content.length + 32);
    signedPart.set(content);
    evil.controls.onResponse = (req, res) =>
      req.path === '/v1/auth/challenge' ? { ...res, body: encodeAuthChallengeResponse({ challenge: signedPart }) } : res;
    const before = a.token;
    await expect(a.login(evil.httpUrl)).rejects.toMatchObject({ code: 'E2E_ERR_MALFORMED' });
    expect(a.token).toBe(before);
    // Even a signature under the relay-auth label over those bytes is no log entry signature.
    const authSig = signWithLabel(p, a.identity.seed, SIG.RELAY_AUTH, signedPart);
    expect(verifyWithLabel(p, a.identity.publicKey, SIG.LOG_ENTRY, signedPart, authSig)).toBe(false);
    const entry = encodeLogEntry({ ...fields, confirmationMac: new Uint8Array(32), signature: authSig });
    expect(equalBytes(logEntrySignedPartOf(entry), signedPart)).toBe(true);
    expect(() => foldPublicEntry(p, a.state(gid).public, entry, [])).toThrow(expect.objectContaining({ code: 'E2E_ERR_BAD_SIGNATURE' }));
  });
});
