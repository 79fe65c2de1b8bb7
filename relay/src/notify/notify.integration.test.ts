// Wake-ups end to end on the real relay (on each store, loopback): an opted-in member with
// no socket gets one content-free line per group per interval; an online member, an opted-out
// member and the sender get none; the lines never carry the group name, the ciphertext, the
// IDs or the subscription token.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, utf8Encode } from '../../../crypto/src/bytes';
import { generateIdentity, type DeviceIdentity } from '../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf } from '../../../crypto/src/identity/prekeys';
import { commitAdd, commitGroupInfo, createGroup } from '../../../crypto/src/log/commit';
import { epochView } from '../../../crypto/src/log/member-state';
import { encryptGroupMessage, startEpoch } from '../../../crypto/src/message';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { encodePrekeyUpload } from '../../../crypto/src/wire/http-bodies';
import { signPrekey, verifyPrekeyBundle } from '../../../crypto/src/wire/identity';
import { FRAME } from '../../../crypto/src/wire/relay-frames';
import { append, http, login, WsClient } from '../../test/helpers/client';
import { DEFAULT_POLICY } from '../../test/helpers/log';
import { startTestRelay, type TestRelay } from '../../test/helpers/relay';
import { TEST_STORES } from '../../test/helpers/stores';
import { createLogNotifier } from './log-notifier';

const TAG_KEY = new Uint8Array(32).fill(7);
const tag = (id: Uint8Array) => createHmac('sha256', TAG_KEY).update(id).digest('hex').slice(0, 8);
const GROUP_NAME = '周末登山队';

let p: Primitives;
let relay: TestRelay;
let skew = 0;
const lines: string[] = [];
const asDevice = (id: DeviceIdentity) => ({ seed: id.seed, identityKey: id.publicKey, memberId: id.memberId });

async function member(withPrekeys: boolean) {
  const id = generateIdentity(p);
  const { token } = await login(relay.httpUrl, p, asDevice(id));
  if (withPrekeys) {
    const store = createPrekeyStore(p, Date.now(), 1);
    const oneTimePrekeys = store.oneTime.map((k) => {
      const s = signPrekey(p, id.seed, 'one-time', k.id, k.publicKey);
      return { id: k.id, key: new Uint8Array([...s.publicKey, ...s.signature]) };
    });
    expect((await http(relay.httpUrl, 'PUT', '/v1/prekeys', encodePrekeyUpload({ signedPrekey: prekeyBundleOf(p, id.seed, store), oneTimePrekeys }), token)).status).toBe(204);
  }
  return { id, token };
}

describe.each(TEST_STORES)('notifications on the real relay (%s store)', (kind) => {
  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
    lines.length = 0;
    skew = 0;
    relay = await startTestRelay({ store: kind, notifyIntervalSeconds: 60 }, undefined, {
      now: () => Date.now() + skew,
      notifier: createLogNotifier({ write: (l) => lines.push(l), tagKey: TAG_KEY }),
    });
  });
  afterAll(async () => {
    await relay?.cleanup();
  });

  it('opted-in offline member: one line per group per interval; online, opted-out and sender: none; content-free', async () => {
    const alice = await member(false);
    const bob = await member(true); // opted in, offline
    const carol = await member(true); // opts in, then out
    const dave = await member(true); // opted in, online
    const subscription = utf8Encode('wx-template-grant:oAbCdEfGh-openid-123');
    for (const m of [bob, carol, dave]) expect((await http(relay.httpUrl, 'PUT', '/v1/notify/subscription', subscription, m.token)).status).toBe(204);
    expect((await http(relay.httpUrl, 'DELETE', '/v1/notify/subscription', undefined, carol.token)).status).toBe(204);
    const daveWs = await WsClient.connect(relay.wsUrl, dave.token);

    // Alice creates and names the group, then adds all three.
    const created = createGroup(p, alice.id, { policy: DEFAULT_POLICY });
    const gid = created.state.public.groupId;
    expect((await append(relay.httpUrl, alice.token, null, new Uint8Array(32), created.entry, created.envelopes)).status).toBe(201);
    const named = commitGroupInfo(p, alice.id, created.state, { type: 'normal', name: GROUP_NAME, announcement: '', avatar: new Uint8Array(0) });
    expect((await append(relay.httpUrl, alice.token, gid, created.state.public.headHash, named.entry, named.envelopes)).status).toBe(200);
    const bundles = [];
    for (const m of [bob, carol, dave]) {
      const claim = await http(relay.httpUrl, 'POST', `/v1/members/${bytesToHex(m.id.memberId)}/prekey-claim`, undefined, alice.token);
      bundles.push(verifyPrekeyBundle(p, claim.bytes));
    }
    const added = commitAdd(p, alice.id, named.state, bundles);
    expect((await append(relay.httpUrl, alice.token, gid, named.state.public.headHash, added.entry, added.envelopes)).status).toBe(200);
    await relay.core.notify!.settled();
    expect(lines).toEqual([`notify kind=membership member=${tag(bob.id.memberId)} group=${tag(gid)}`]);

    // Past the interval, Alice sends five messages: Bob is woken once, nobody else.
    skew += 61_000;
    const aliceWs = await WsClient.connect(relay.wsUrl, alice.token);
    let sender = startEpoch(p, epochView(p, added.state)!, alice.id.memberId, null, { now: Date.now() }).senderState;
    const ciphertexts: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      const prepared = encryptGroupMessage(p, sender, utf8Encode(`第${i}条：明早七点集合`), { identitySeed: alice.id.seed });
      sender = prepared.nextState;
      const ct = prepared.release(prepared.nextState);
      ciphertexts.push(ct);
      aliceWs.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: ct });
    }
    await aliceWs.waitCount((f) => f.type === FRAME.SEND_OK, 5);
    await daveWs.waitCount((f) => f.type === FRAME.MESSAGE, 5);
    await relay.core.notify!.settled();
    expect(lines).toEqual([
      `notify kind=membership member=${tag(bob.id.memberId)} group=${tag(gid)}`,
      `notify kind=message member=${tag(bob.id.memberId)} group=${tag(gid)}`,
    ]);

    // Once Bob is online he is not woken, even after the interval.
    skew += 61_000;
    const bobWs = await WsClient.connect(relay.wsUrl, bob.token);
    const prepared = encryptGroupMessage(p, sender, utf8Encode('在线吗'), { identitySeed: alice.id.seed });
    aliceWs.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: prepared.release(prepared.nextState) });
    await bobWs.waitCount((f) => f.type === FRAME.MESSAGE, 6);
    await relay.core.notify!.settled();
    expect(lines).toHaveLength(2);

    // Content-free: nothing of the name, the messages, the IDs or the token.
    const out = lines.join('\n');
    const forbidden = [GROUP_NAME, '明早', bytesToHex(gid), ...[alice, bob, carol, dave].map((m) => bytesToHex(m.id.memberId).slice(0, 8)), 'openid', 'oAbCdEfGh'];
    for (const ct of ciphertexts) forbidden.push(bytesToHex(ct).slice(60, 92), Buffer.from(ct).toString('base64').slice(40, 64));
    for (const f of forbidden) expect(out).not.toContain(f);
    // Counted in /metrics with fixed labels only.
    const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    expect(metrics).toContain('relay_notifications_total{notifier="log",result="sent"} 2');
    expect(metrics).toContain('relay_notifications_total{notifier="log",result="dropped"} 0');
    aliceWs.close();
    bobWs.close();
    daveWs.close();
  });

  it('the subscription route checks size and auth; a relay with --notifier none refuses opt-in', async () => {
    const m = await member(false);
    expect((await http(relay.httpUrl, 'PUT', '/v1/notify/subscription', new Uint8Array(257), m.token)).status).toBe(413);
    expect((await http(relay.httpUrl, 'PUT', '/v1/notify/subscription', new Uint8Array(0), m.token)).status).toBe(400);
    expect((await http(relay.httpUrl, 'PUT', '/v1/notify/subscription', Uint8Array.of(1))).status).toBe(401);
    expect((await http(relay.httpUrl, 'DELETE', '/v1/notify/subscription', undefined, m.token)).status).toBe(204); // idempotent

    const off = await startTestRelay({ store: kind, notifier: 'none' });
    try {
      expect(off.core.notify).toBeNull();
      const { token } = await login(off.httpUrl, p, asDevice(generateIdentity(p)));
      const r = await http(off.httpUrl, 'PUT', '/v1/notify/subscription', Uint8Array.of(1), token);
      expect([r.status, r.json?.error]).toEqual([404, 'E2E_ERR_RELAY_NOT_FOUND']);
      expect((await http(off.httpUrl, 'DELETE', '/v1/notify/subscription', undefined, token)).status).toBe(204);
    } finally {
      await off.cleanup();
    }
  });
});
