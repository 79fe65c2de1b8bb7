// The malicious relay against real SDK clients (client/src/sdk, createChatClient): the same
// proxy as malicious-relay.integration.test.ts sits between the clients and a real relay,
// over HTTP and WebSocket. Each test names the attack and asserts what the SDK reports
// (alarms, refusals) and that no client hands a forged message or membership change to
// its user. Never edits SDK state: everything goes through the public API and the wire.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes, utf8DecodeStrict } from '../../../crypto/src/bytes';
import { memberIdOf } from '../../../crypto/src/identity/member-id';
import { signWithLabel } from '../../../crypto/src/kdf';
import { SIG } from '../../../crypto/src/labels';
import { commitAdd, commitRotate, createGroup } from '../../../crypto/src/log/commit';
import { foldPublicEntry } from '../../../crypto/src/log/public-fold';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { decodeLogAppendRequest, encodeAuthChallengeResponse, encodeLogAppendResponse } from '../../../crypto/src/wire/http-bodies';
import { decodeEnvelopeRecipient } from '../../../crypto/src/wire/envelope';
import { encodeLogEntryContent, headHashOfEntry } from '../../../crypto/src/wire/log-entry';
import { encodeRelayFrame, FRAME, type RelayFrame } from '../../../crypto/src/wire/relay-frames';
import { createChatClient, type ChatClient } from '../../../client/src/sdk/chat-client';
import type { AlarmEvent } from '../../../client/src/sdk/group-engine';
import { nodePlatform } from '../../../client/src/net/node-platform';
import { openNodeStore } from '../../../client/src/store/node-store';
import type { LocalStore } from '../../../client/src/store/types';
import { buildEntry, DEFAULT_POLICY, makeDevice } from '../helpers/log';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { CoreMember } from './core-member';
import { startMaliciousRelay, type MaliciousRelay } from './malicious-relay';

await loadBackends();
const p: Primitives = primitivesFor('node', nodeRandom);

interface SdkMember {
  name: string;
  client: ChatClient;
  store: LocalStore;
  dir: string;
  texts: Map<string, string[]>;
  alarms: AlarmEvent[];
  membership: { kind: string; members: Uint8Array[] }[];
  errors: string[];
  gaps: [number, number][];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function world() {
  const relay: TestRelay = await startTestRelay();
  const evil: MaliciousRelay = await startMaliciousRelay(relay.httpUrl, relay.wsUrl);
  cleanups.push(async () => {
    await evil.close();
    await relay.cleanup();
  });
  return { relay, evil };
}

async function sdkMember(evil: MaliciousRelay, name: string, start = true): Promise<SdkMember> {
  const dir = mkdtempSync(join(tmpdir(), `adv-sdk-${name}-`));
  const store = await openNodeStore(dir);
  const client = await createChatClient({
    platform: nodePlatform(),
    primitives: p,
    store,
    relayUrl: evil.httpUrl,
    wsUrl: evil.wsUrl,
    engine: { autoCommitJitterMs: 50, sendWaitMs: 8_000 },
    connection: { backoff: { minMs: 50, maxMs: 500 } },
  });
  const m: SdkMember = { name, client, store, dir, texts: new Map(), alarms: [], membership: [], errors: [], gaps: [] };
  client.on('alarm', (a) => m.alarms.push(a));
  client.on('membership', (e) => m.membership.push({ kind: e.kind, members: e.members }));
  client.on('gap', (e) => m.gaps.push([e.fromSeq, e.toSeq]));
  client.on('error', (e) => m.errors.push(`${e.operation}: ${(e.error as { code?: string })?.code ?? String(e.error)}`));
  client.engine.setReceiver(async (msg) => {
    const g = bytesToHex(msg.groupId);
    m.texts.set(g, [...(m.texts.get(g) ?? []), utf8DecodeStrict(msg.plaintext) ?? '<binary>']);
  });
  cleanups.push(async () => {
    await client.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  if (start) {
    await client.start();
    await client.whenReady(10_000);
  }
  return m;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Owner creates a group and invites the others; resolves when every member has it active. */
async function group(owner: SdkMember, others: SdkMember[]): Promise<Uint8Array> {
  const g = await owner.client.createGroup({ name: 'adversarial' });
  for (const o of others) {
    await owner.client.invite(g, o.client.memberIdHex);
    await o.client.waitForGroup(g, 10_000);
  }
  for (const m of [owner, ...others]) await m.client.idle(g);
  return g;
}

const texts = (m: SdkMember, g: Uint8Array) => m.texts.get(bytesToHex(g)) ?? [];
const isMsg = (f: RelayFrame, g: Uint8Array) => f.type === FRAME.MESSAGE && equalBytes(f.groupId, g);
const isEntry = (f: RelayFrame, g: Uint8Array) => f.type === FRAME.LOG_ENTRY && equalBytes(f.groupId, g);
const head = (m: SdkMember, g: Uint8Array) => bytesToHex(m.client.group(g)!.state.headHash);

describe('malicious relay vs the SDK', () => {
  it('duplicate and replay: every message delivered twice and replayed later reaches the user exactly once', async () => {
    const { evil } = await world();
    const [a, b] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B')];
    const g = await group(a, [b]);
    evil.controls.toDevice = (conn, raw, f) => (conn.memberId === b.client.memberIdHex && isMsg(f, g) ? [raw, raw] : [raw]);
    for (const t of ['一', '二', '三']) await a.client.sendPlaintext(g, t);
    await until('three texts', () => texts(b, g).length >= 3);
    // A replay of the first message much later, under a fresh sequence number.
    const first = evil.seen.find((s) => s.to === b.client.memberIdHex && isMsg(s.frame, g))!.frame;
    if (first.type !== FRAME.MESSAGE) throw new Error('unreachable');
    evil.connectionOf(b.client.memberIdHex)!.deliver(encodeRelayFrame({ ...first, seq: first.seq + 10 }));
    await until('replay handled', () => b.alarms.some((x) => x.kind === 'undecryptable-message') || b.client.group(g)!.messageSeq >= first.seq + 10, 5000);
    await b.client.idle(g);
    expect(texts(b, g)).toEqual(['一', '二', '三']);
    for (const x of b.alarms) expect(x.code).toBe('E2E_ERR_DUPLICATE_MESSAGE');
  });

  it('drop and reorder: a withheld message and a late one are reported as a gap of exactly those sequence numbers; nothing is delivered twice', async () => {
    const { evil } = await world();
    const [a, b] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B')];
    const g = await group(a, [b]);
    let held: Uint8Array | null = null;
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId !== b.client.memberIdHex || f.type !== FRAME.MESSAGE || !isMsg(f, g)) return [raw];
      if (f.seq === 2) return []; // dropped
      if (f.seq === 3) {
        held = raw; // delivered after 4
        return [];
      }
      if (f.seq === 4 && held) return [raw, held];
      return [raw];
    };
    for (const t of ['1', '2', '3', '4', '5']) await a.client.sendPlaintext(g, t);
    await until('last text', () => texts(b, g).includes('5'));
    await b.client.idle(g);
    // The SDK keeps relay order: it tells the user exactly which sequence numbers it will not
    // show (the same event as for retention), and never shows a message twice or out of order.
    expect(texts(b, g)).toEqual(['1', '4', '5']);
    expect(b.gaps).toEqual([[2, 3]]);
    expect(b.alarms).toEqual([]);
  });

  it('ghost member: a log entry adding a member, signed by a key outside the group, is rejected; no membership event, no ghost in the member list', async () => {
    const { evil } = await world();
    const [a, b] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B')];
    const g = await group(a, [b]);
    const attacker = makeDevice(p);
    const ghost = makeDevice(p);
    const state = b.client.group(g)!.state;
    const forged = buildEntry(p, attacker, state, { kind: 'add', identityKeys: [ghost.identityKey] });
    const before = b.membership.length;
    evil.connectionOf(b.client.memberIdHex)!.deliver(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g, index: state.epoch + 1, entry: forged.entry, envelope: new Uint8Array(0) }));
    await until('alarm', () => b.alarms.length > 0);
    expect(['rejected-entry', 'fork']).toContain(b.alarms[0]!.kind);
    expect(b.membership.length).toBe(before);
    expect(b.client.group(g)!.members.some((m) => equalBytes(m.memberId, ghost.memberId))).toBe(false);
    expect(head(b, g)).toBe(head(a, g));
  });

  it('fork: the relay fakes one member\'s commit as accepted and shows it to a second member only; neither side delivers the other side\'s messages', async () => {
    const { evil } = await world();
    const [a, b, c, d] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B'), await sdkMember(evil, 'C'), await sdkMember(evil, 'D')];
    const g = await group(a, [b, c, d]);
    const forkSide = new Set([b.client.memberIdHex, c.client.memberIdHex]);
    const index = b.client.group(g)!.logLength;
    let stolen: { entry: Uint8Array; envelopes: Uint8Array[] } | null = null;
    evil.controls.onRequest = (req) => {
      if (req.method !== 'POST' || !req.path.endsWith('/log') || stolen) return undefined;
      const session = evil.connections.find((x) => x.token === req.token);
      if (!session || session.memberId !== b.client.memberIdHex) return undefined;
      const r = decodeLogAppendRequest(req.body);
      stolen = { entry: r.entry, envelopes: r.envelopes };
      return { status: 200, contentType: 'application/octet-stream', body: encodeLogAppendResponse({ index, head: headHashOfEntry(p, r.entry), epoch: b.client.group(g)!.epoch + 1 }) };
    };
    evil.controls.toDevice = (conn, raw, f) => (forkSide.has(conn.memberId) && isEntry(f, g) && f.type === FRAME.LOG_ENTRY && f.index >= index ? [] : [raw]);
    await b.client.rotate(g);
    expect(stolen).not.toBe(null);
    await a.client.rotate(g);
    await until('d follows the real log', () => d.client.group(g)!.logLength === index + 1);
    const env = stolen!.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), c.client.memberId))!;
    evil.connectionOf(c.client.memberIdHex)!.deliver(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g, index, entry: stolen!.entry, envelope: env }));
    await until('c on the fork', () => c.client.group(g)!.logLength === index + 1);
    expect(head(a, g)).toBe(head(d, g));
    expect(head(b, g)).toBe(head(c, g));
    expect(head(a, g)).not.toBe(head(b, g));
    await b.client.sendPlaintext(g, 'fork side');
    await a.client.sendPlaintext(g, 'real side');
    await until('d saw both', () => texts(d, g).length + d.alarms.length >= 2);
    await until('a saw b', () => a.alarms.length >= 1);
    await until('c saw both', () => texts(c, g).length + c.alarms.length >= 2);
    expect(texts(d, g)).toEqual(['real side']);
    expect(texts(c, g)).toEqual(['fork side']);
    expect(texts(a, g)).toEqual([]);
    for (const m of [a, c, d]) {
      expect(m.alarms.map((x) => x.kind)).toContain('undecryptable-message');
      expect(m.alarms.find((x) => x.kind === 'undecryptable-message')!.code).toBe('E2E_ERR_BAD_SIGNATURE');
    }
  });

  it('withheld kick: the relay hides a removal from one member; it cannot send in the old epoch, and the kicked member gets nothing sent after the kick', async () => {
    const { evil } = await world();
    const [a, b, d, e] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B'), await sdkMember(evil, 'D'), await sdkMember(evil, 'E')];
    const g = await group(a, [b, d, e]);
    const index = d.client.group(g)!.logLength;
    evil.controls.toDevice = (conn, raw, f) => (conn.memberId === d.client.memberIdHex && isEntry(f, g) && f.type === FRAME.LOG_ENTRY && f.index >= index ? [] : [raw]);
    await a.client.kick(g, e.client.memberIdHex);
    await until('b processed the kick', () => b.client.group(g)!.logLength === index + 1);
    await a.client.sendPlaintext(g, 'after the kick');
    await until('b got it', () => texts(b, g).length === 1);
    // D, kept on the old epoch over the socket, tries to send: the relay refuses the stale
    // epoch; the SDK catches up over HTTP (which the proxy leaves alone), applies the kick,
    // re-encrypts and sends in the new epoch.
    await d.client.sendPlaintext(g, 'from d');
    expect(d.client.group(g)!.logLength).toBe(index + 1);
    expect(d.client.group(g)!.members.some((m) => equalBytes(m.memberId, e.client.memberId))).toBe(false);
    await until('b got d', () => texts(b, g).includes('from d'));
    await until('e removed', () => e.client.group(g)?.status === 'removed');
    expect(texts(e, g)).toEqual([]);
  });

  it('kicked member kept served: the proxy hides the kick and mirrors the group to the kicked member; its SDK delivers nothing sent after the kick', async () => {
    const { evil } = await world();
    const [a, b, e] = [await sdkMember(evil, 'A'), await sdkMember(evil, 'B'), await sdkMember(evil, 'E')];
    const g = await group(a, [b, e]);
    const eId = e.client.memberIdHex;
    const epochBefore = e.client.group(g)!.epoch;
    let mirrored = 0;
    evil.controls.keepServingAfterUpstreamClose = true;
    evil.controls.toDevice = (conn, raw, f) => {
      if (conn.memberId === eId) return f.type === FRAME.REMOVED || isEntry(f, g) ? [] : [raw];
      if (conn.memberId === b.client.memberIdHex && isMsg(f, g)) {
        mirrored++;
        evil.connectionOf(eId)?.deliver(raw);
      }
      return [raw];
    };
    await a.client.kick(g, eId);
    await until('b processed the kick', () => !b.client.group(g)!.members.some((m) => bytesToHex(m.memberId) === eId));
    await a.client.sendPlaintext(g, '踢出之后的秘密');
    await until('b got it', () => texts(b, g).length === 1);
    expect(mirrored).toBe(1);
    // E's SDK gets the frame, cannot open it (unknown epoch), asks the relay for the log over HTTP
    // and is told it is no longer a member.
    await until('e tried to catch up', () => e.errors.includes('message: E2E_ERR_RELAY_NOT_MEMBER'));
    await e.client.idle(g);
    // E was never told: it still believes it is in the old epoch, and it holds no key for the new one.
    expect(e.client.group(g)!.status).toBe('active');
    expect(e.client.group(g)!.epoch).toBe(epochBefore);
    expect(texts(e, g)).toEqual([]);
  });

  it('commit with a bad MAC from an insider: SDK clients raise commit-unverifiable (bad-mac), stop sending, and their automatic rotation heals the group', async () => {
    const { evil } = await world();
    const a = new CoreMember(p, 'A'); // the insider, on the crypto core
    await a.login(evil.httpUrl);
    await a.publishPrekeys(evil.httpUrl);
    await a.connect(evil.wsUrl);
    cleanups.push(async () => a.disconnect());
    const [b, c] = [await sdkMember(evil, 'B'), await sdkMember(evil, 'C')];
    const created = createGroup(p, a.identity, { policy: DEFAULT_POLICY });
    const g = created.state.public.groupId;
    expect(await a.append(evil.httpUrl, null, created)).toBe(201);
    const bundles = [await a.claimBundle(evil.httpUrl, b.client.memberIdHex), await a.claimBundle(evil.httpUrl, c.client.memberIdHex)];
    expect(await a.append(evil.httpUrl, g, commitAdd(p, a.identity, a.state(g), bundles))).toBe(200);
    for (const m of [b, c]) await m.client.waitForGroup(g, 10_000);
    const lookup = (id: Uint8Array) => {
      const bundle = bundles.find((x) => equalBytes(memberIdOf(p, x.identityKey), id));
      return bundle ? { prekeyKind: 'signed' as const, prekeyId: bundle.signedPrekey.id, prekey: bundle.signedPrekey.publicKey } : undefined;
    };
    // A rotation whose confirmation MAC is wrong, signed by A: the relay cannot tell.
    const before = a.state(g);
    const honest = commitRotate(p, a.identity, before, lookup);
    const content = honest.entry.subarray(0, honest.entry.length - 96);
    const signed = new Uint8Array(content.length + 32);
    signed.set(content);
    signed.set(p.randomBytes(32), content.length);
    const entry = new Uint8Array(signed.length + 64);
    entry.set(signed);
    entry.set(signWithLabel(p, a.identity.seed, SIG.LOG_ENTRY, signed), signed.length);
    const bad = { ...honest, entry, state: { ...honest.state, public: foldPublicEntry(p, before.public, entry, honest.envelopes) } };
    expect(await a.append(evil.httpUrl, g, bad)).toBe(200);
    for (const m of [b, c]) {
      await until(`${m.name} alarm`, () => m.alarms.some((x) => x.kind === 'commit-unverifiable'));
      expect(m.alarms.find((x) => x.kind === 'commit-unverifiable')).toMatchObject({ code: 'E2E_ERR_COMMIT_UNVERIFIABLE', reason: 'bad-mac', epoch: 2 });
    }
    // The automatic rotation (by B or C, after a random delay) gives everyone a verified epoch 3.
    await until('a healed', () => a.state(g).public.epoch >= 3 && a.state(g).epochSecret !== null, 15_000);
    for (const m of [b, c]) await until(`${m.name} healed`, () => m.client.group(g)!.canSend && !m.client.group(g)!.alarm, 15_000);
    // SDK plaintexts start with a frame byte (1 = application content: client/src/sdk/invite-link.ts).
    const r = await a.send(g, '\u0001after the heal');
    expect(r.ok).toBe(true);
    for (const m of [b, c]) await until(`${m.name} got it`, () => texts(m, g).includes('after the heal'));
    await b.client.sendPlaintext(g, 'b after the heal');
    await a.until(() => a.messages(g).some((x) => x.text === '\u0001b after the heal'), 'a got b');
    for (const m of [b, c]) expect(m.alarms.map((x) => x.kind)).toEqual(['commit-unverifiable']);
  });

  it('auth challenge that is a serialized log entry: the SDK refuses to sign it and never posts a signature', async () => {
    const { evil } = await world();
    const a = await sdkMember(evil, 'A', false);
    const content = encodeLogEntryContent({
      version: 1,
      groupId: p.randomBytes(16),
      epoch: 1,
      prevHash: p.randomBytes(32),
      actor: a.client.memberId,
      body: { kind: 'role', memberId: p.randomBytes(32), role: 'admin' },
      recipients: [],
    });
    const signedPart = new Uint8Array(content.length + 32);
    signedPart.set(content);
    let sessionPosts = 0;
    evil.controls.onRequest = (req) => {
      if (req.path === '/v1/auth/session') sessionPosts++;
      return undefined;
    };
    evil.controls.onResponse = (req, res) => (req.path === '/v1/auth/challenge' ? { ...res, body: encodeAuthChallengeResponse({ challenge: signedPart }) } : res);
    const started = a.client.start().then(
      () => 'started',
      (e: unknown) => (e as { code?: string }).code ?? 'error',
    );
    const outcome = await Promise.race([started, new Promise<string>((r) => setTimeout(() => r('pending'), 3000))]);
    expect(outcome).not.toBe('started');
    expect(sessionPosts).toBe(0);
  });
});
