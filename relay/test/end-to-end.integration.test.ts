// Clients built on the crypto core, end to end through a real relay: prekeys published and
// claimed, a group created, named and joined from a welcome the relay routed, messages
// encrypted by one member and decrypted by the other, then a kick that cuts the member off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes, utf8DecodeStrict, utf8Encode } from '../../crypto/src/bytes';
import { generateIdentity } from '../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf } from '../../crypto/src/identity/prekeys';
import { commitAdd, commitGroupInfo, commitRemove, createGroup } from '../../crypto/src/log/commit';
import { epochView } from '../../crypto/src/log/member-state';
import { joinFromWelcome } from '../../crypto/src/log/private-fold';
import { decryptGroupMessage, encryptGroupMessage, startEpoch } from '../../crypto/src/message';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { encodePrekeyUpload } from '../../crypto/src/wire/http-bodies';
import { signPrekey, verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { FRAME, RELAY_ERROR } from '../../crypto/src/wire/relay-frames';
import { append, http, login, WsClient } from './helpers/client';
import { DEFAULT_POLICY } from './helpers/log';
import { startTestRelay, type TestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let p: Primitives;
  let relay: TestRelay;
  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
    relay = await startTestRelay({ store: kind });
  });
  afterAll(async () => {
    await relay?.cleanup();
  });

  const asDevice = (id: ReturnType<typeof generateIdentity>) => ({ seed: id.seed, identityKey: id.publicKey, memberId: id.memberId });

  describe('crypto-core clients through the relay', () => {
    it('publish prekeys, create, name, add by a claimed bundle, join from the routed welcome, exchange messages, kick', async () => {
      const now = Date.now();
      const alice = generateIdentity(p);
      const bob = generateIdentity(p);
      const at = (await login(relay.httpUrl, p, asDevice(alice))).token;
      const bt = (await login(relay.httpUrl, p, asDevice(bob))).token;

      // Bob publishes a signed prekey and two one-time prekeys.
      const bobPrekeys = createPrekeyStore(p, now, 2);
      const oneTimePrekeys = bobPrekeys.oneTime.map((k) => {
        const s = signPrekey(p, bob.seed, 'one-time', k.id, k.publicKey);
        return { id: k.id, key: new Uint8Array([...s.publicKey, ...s.signature]) };
      });
      expect((await http(relay.httpUrl, 'PUT', '/v1/prekeys', encodePrekeyUpload({ signedPrekey: prekeyBundleOf(p, bob.seed, bobPrekeys), oneTimePrekeys }), bt)).status).toBe(204);

      // Alice creates and names the group, claims Bob's bundle and adds him.
      const created = createGroup(p, alice, { policy: DEFAULT_POLICY });
      const gid = created.state.public.groupId;
      expect((await append(relay.httpUrl, at, null, new Uint8Array(32), created.entry, created.envelopes)).status).toBe(201);
      const named = commitGroupInfo(p, alice, created.state, { type: 'normal', name: '周末登山队', announcement: '', avatar: new Uint8Array(0) });
      expect((await append(relay.httpUrl, at, gid, created.state.public.headHash, named.entry, named.envelopes)).status).toBe(200);
      const claim = await http(relay.httpUrl, 'POST', `/v1/members/${bytesToHex(bob.memberId)}/prekey-claim`, undefined, at);
      const bundle = verifyPrekeyBundle(p, claim.bytes);
      expect(bundle.oneTimePrekey?.id).toBe(bobPrekeys.oneTime[0]!.id);
      const added = commitAdd(p, alice, named.state, [bundle]);
      expect((await append(relay.httpUrl, at, gid, named.state.public.headHash, added.entry, added.envelopes)).status).toBe(200);

      // Bob connects: the relay routes him the add entry with his welcome, and nothing earlier.
      const wb = await WsClient.connect(relay.wsUrl, bt);
      await wb.waitFor((f) => f.type === FRAME.CAUGHT_UP);
      const logs = wb.of(FRAME.LOG_ENTRY);
      expect(logs.map((f) => f.index)).toEqual([2]);
      const joined = joinFromWelcome(p, bob.memberId, bobPrekeys, logs[0]!.entry, logs[0]!.envelope);
      expect(joined.state.groupInfo?.name).toBe('周末登山队');
      expect(equalBytes(joined.state.public.headHash, added.state.public.headHash)).toBe(true);

      // Alice sends in the new epoch; Bob decrypts.
      const av = epochView(p, added.state)!;
      const bv = epochView(p, joined.state)!;
      let aliceSender = startEpoch(p, av, alice.memberId, null, { now }).senderState;
      let bobReceiver = startEpoch(p, bv, bob.memberId, null, { now }).receiverState;
      const wa = await WsClient.connect(relay.wsUrl, at);
      await wa.waitFor((f) => f.type === FRAME.CAUGHT_UP);
      for (const text of ['早上七点山脚集合', '记得带水和雨衣']) {
        const prepared = encryptGroupMessage(p, aliceSender, utf8Encode(text), { identitySeed: alice.seed });
        aliceSender = prepared.nextState;
        wa.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: prepared.release(prepared.nextState) });
      }
      await wb.waitCount((f) => f.type === FRAME.MESSAGE, 2);
      const texts = wb.of(FRAME.MESSAGE).map((m) => {
        const d = decryptGroupMessage(p, bobReceiver, m.ciphertext, { now });
        bobReceiver = d.nextState;
        expect(equalBytes(d.sender.memberId, alice.memberId)).toBe(true);
        return utf8DecodeStrict(d.plaintext);
      });
      expect(texts).toEqual(['早上七点山脚集合', '记得带水和雨衣']);

      // Alice removes Bob: he is told, and a send in his old epoch is refused.
      const kicked = commitRemove(p, alice, added.state, [bob.memberId], () => undefined);
      expect((await append(relay.httpUrl, at, gid, added.state.public.headHash, kicked.entry, kicked.envelopes)).status).toBe(200);
      await wb.waitFor((f) => f.type === FRAME.REMOVED);
      let bobSender = startEpoch(p, bv, bob.memberId, null, { now }).senderState;
      const late = encryptGroupMessage(p, bobSender, utf8Encode('还在吗'), { identitySeed: bob.seed });
      bobSender = late.nextState;
      wb.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: late.release(late.nextState) });
      const err = await wb.waitFor((f) => f.type === FRAME.ERROR);
      expect(err.type === FRAME.ERROR && err.code).toBe(RELAY_ERROR.NOT_MEMBER);
      wa.close();
      wb.close();
    });
  });
});
