// Two and three relay instances as separate processes on one PostgreSQL database and one
// Redis channel, with clients spread across them. Skipped locally (with a printed reason)
// when PostgreSQL or Redis is absent; with CI=true their absence fails the run.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { decodeEnvelopeRecipient } from '../../crypto/src/wire/envelope';
import { decodeMessagePage, encodeInviteCreateRequest } from '../../crypto/src/wire/http-bodies';
import { FRAME, RELAY_ERROR } from '../../crypto/src/wire/relay-frames';
import { append, http, login, WsClient } from './helpers/client';
import { startCluster, type Cluster } from './helpers/cluster';
import { buildAdd, buildCreate, buildEntry, buildRemove, fakeGroupMessage, makeDevice, senderIndexOf, type Device } from './helpers/log';
import { freshChannel, SCALEOUT_AVAILABLE, TEST_REDIS_URL } from './helpers/stores';

let p: Primitives;
let counter = 0;
function cid(): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, ++counter);
  id.set(p.randomBytes(8), 0);
  return id;
}

/** A group whose members log in to the instance at `placement[i]`; devices[0] creates it through instance 0. */
async function setupGroup(cluster: Cluster, placement: number[]) {
  const devices: Device[] = placement.map(() => makeDevice(p));
  const urls = placement.map((i) => cluster.instances[i]!);
  const tokens = await Promise.all(devices.map((d, i) => login(urls[i]!.httpUrl, p, d).then((r) => r.token)));
  const create = buildCreate(p, devices[0]!);
  expect((await append(urls[0]!.httpUrl, tokens[0]!, null, new Uint8Array(32), create.entry, [])).status).toBe(201);
  const add = buildAdd(p, devices[0]!, create.state, devices.slice(1));
  expect((await append(urls[0]!.httpUrl, tokens[0]!, create.state.groupId, create.state.headHash, add.entry, add.envelopes)).status).toBe(200);
  const state = add.state;
  const idx = (i: number) => senderIndexOf(state, devices[i]!.memberId);
  return { devices, tokens, urls, state, groupId: state.groupId, idx };
}

async function connectAll(urls: { wsUrl: string }[], tokens: Uint8Array[]): Promise<WsClient[]> {
  const socks = await Promise.all(tokens.map((t, i) => WsClient.connect(urls[i]!.wsUrl, t)));
  await Promise.all(socks.map((s) => s.waitFor((f) => f.type === FRAME.CAUGHT_UP)));
  return socks;
}

const seqsOf = (s: WsClient) => s.of(FRAME.MESSAGE).map((f) => f.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.skipIf(!SCALEOUT_AVAILABLE)('several relay instances on PostgreSQL + Redis', () => {
  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
  });

  describe('three instances', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(3);
    });
    afterAll(async () => {
      await cluster?.cleanup();
    });

    it('group chat: members on three instances each get every other message once, in per-group order', async () => {
      const g = await setupGroup(cluster, [0, 1, 2]);
      const socks = await connectAll(g.urls, g.tokens);
      const per = 25;
      socks.forEach((s, i) => {
        for (let k = 0; k < per; k++) s.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(i)) });
      });
      await Promise.all(socks.map((s) => s.waitCount((f) => f.type === FRAME.SEND_OK, per, 20_000)));
      const acked = socks.map((s) => s.of(FRAME.SEND_OK).map((f) => f.seq));
      expect(acked.flat().sort((x, y) => x - y)).toEqual(range(1, per * 3));
      for (let i = 0; i < 3; i++) {
        await socks[i]!.waitCount((f) => f.type === FRAME.MESSAGE, per * 2, 20_000);
        const got = seqsOf(socks[i]!);
        // Strictly increasing (in order, no duplicate) and exactly the others' messages.
        expect(got).toEqual([...new Set(got)].sort((x, y) => x - y));
        expect([...got, ...acked[i]!].sort((x, y) => x - y)).toEqual(range(1, per * 3));
      }
      socks.forEach((s) => s.close());
    });

    it('kick with rekey through one instance cuts the member off on another at once; the third gets its envelope', async () => {
      const g = await setupGroup(cluster, [0, 1, 2]);
      const [owner, kicked, stays] = (await connectAll(g.urls, g.tokens)) as [WsClient, WsClient, WsClient];
      const kick = buildRemove(p, g.devices[0]!, g.state, [g.devices[1]!]);
      expect((await append(g.urls[0]!.httpUrl, g.tokens[0]!, g.groupId, g.state.headHash, kick.entry, kick.envelopes)).status).toBe(200);
      // The relay a sender is connected to refuses the replaced epoch even if its own view lags:
      // the store checks the epoch under the group lock.
      stays.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, 0, 256, g.idx(2)) });
      const stale = await stays.waitFor((f) => f.type === FRAME.ERROR);
      expect(stale.type === FRAME.ERROR && stale.code).toBe(RELAY_ERROR.STALE_EPOCH);
      await kicked.waitFor((f) => f.type === FRAME.REMOVED, 10_000);
      const le = await stays.waitFor((f) => f.type === FRAME.LOG_ENTRY && f.index === 2, 10_000);
      const mine = kick.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), g.devices[2]!.memberId))!;
      expect(le.type === FRAME.LOG_ENTRY && equalBytes(le.envelope, mine)).toBe(true);
      expect(kicked.of(FRAME.LOG_ENTRY).filter((f) => f.index === 2)).toHaveLength(0);
      // The kicked device can neither send nor read on its instance; the new epoch flows to the others only.
      kicked.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, kick.state.epoch, 0, 256, g.idx(1)) });
      const denied = await kicked.waitFor((f) => f.type === FRAME.ERROR);
      expect(denied.type === FRAME.ERROR && denied.code).toBe(RELAY_ERROR.NOT_MEMBER);
      owner.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, kick.state.epoch, 0, 256, senderIndexOf(kick.state, g.devices[0]!.memberId)) });
      await stays.waitFor((f) => f.type === FRAME.MESSAGE, 10_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(kicked.of(FRAME.MESSAGE)).toHaveLength(0);
      const hist = await http(g.urls[1]!.httpUrl, 'GET', `/v1/groups/${bytesToHex(g.groupId)}/messages`, undefined, g.tokens[1]);
      expect(hist.json?.error).toBe('E2E_ERR_RELAY_NOT_MEMBER');
      [owner, kicked, stays].forEach((s) => s.close());
    });

    it('concurrent commits on the same head through different instances: exactly one wins', async () => {
      const g = await setupGroup(cluster, [0, 1, 2]);
      const e1 = buildEntry(p, g.devices[0]!, g.state, { kind: 'rotate' });
      const e2 = buildRemove(p, g.devices[0]!, g.state, [g.devices[2]!]);
      const owner2 = (await login(cluster.instances[1]!.httpUrl, p, g.devices[0]!)).token;
      const owner3 = (await login(cluster.instances[2]!.httpUrl, p, g.devices[0]!)).token;
      const outs = await Promise.all([
        append(cluster.instances[0]!.httpUrl, g.tokens[0]!, g.groupId, g.state.headHash, e1.entry, e1.envelopes),
        append(cluster.instances[1]!.httpUrl, owner2, g.groupId, g.state.headHash, e2.entry, e2.envelopes),
        append(cluster.instances[2]!.httpUrl, owner3, g.groupId, g.state.headHash, e1.entry, e1.envelopes),
      ]);
      expect(outs.map((o) => o.status).sort()).toEqual([200, 409, 409]);
      for (const o of outs.filter((x) => x.status === 409)) expect(o.json?.error).toBe('E2E_ERR_RELAY_HEAD_MISMATCH');
      const log = await http(cluster.instances[2]!.httpUrl, 'GET', `/v1/groups/${bytesToHex(g.groupId)}/log`, undefined, owner3);
      expect(log.status).toBe(200);
    });

    it('offline catch-up: a member that was away reconnects to another instance and gets what it missed', async () => {
      const g = await setupGroup(cluster, [0, 1, 2]);
      const [a, b] = (await connectAll(g.urls.slice(0, 2), g.tokens.slice(0, 2))) as [WsClient, WsClient];
      for (let k = 0; k < 10; k++) a.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(0)) });
      await b.waitCount((f) => f.type === FRAME.MESSAGE, 10, 10_000);
      b.send({ type: FRAME.ACK, groupId: g.groupId, seq: 6 });
      await new Promise((r) => setTimeout(r, 1300)); // cursors are saved every second
      b.close();
      for (let k = 10; k < 20; k++) a.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(0)) });
      await a.waitCount((f) => f.type === FRAME.SEND_OK, 20, 10_000);
      // b comes back through instance 2 (a new login there), without a client cursor: from its ACK.
      const t = (await login(cluster.instances[2]!.httpUrl, p, g.devices[1]!)).token;
      const back = await WsClient.connect(cluster.instances[2]!.wsUrl, t);
      await back.waitFor((f) => f.type === FRAME.CAUGHT_UP, 10_000);
      expect(seqsOf(back)).toEqual(range(7, 20));
      // The third member never connected: it catches up everything through instance 1.
      const c = await WsClient.connect(cluster.instances[1]!.wsUrl, (await login(cluster.instances[1]!.httpUrl, p, g.devices[2]!)).token);
      await c.waitFor((f) => f.type === FRAME.CAUGHT_UP, 10_000);
      expect(seqsOf(c)).toEqual(range(1, 20));
      [a, back, c].forEach((s) => s.close());
    });

    it('a join request through one instance is pushed to an approver connected to another', async () => {
      const g = await setupGroup(cluster, [0, 1]);
      const [owner] = await connectAll([cluster.instances[2]!], [(await login(cluster.instances[2]!.httpUrl, p, g.devices[0]!)).token]);
      const inv = await http(g.urls[0]!.httpUrl, 'POST', `/v1/groups/${bytesToHex(g.groupId)}/invites`, encodeInviteCreateRequest({ expiresAt: Date.now() + 60_000, maxUses: 2 }), g.tokens[0]);
      const joiner = (await login(cluster.instances[1]!.httpUrl, p, makeDevice(p))).token;
      const r = await http(cluster.instances[1]!.httpUrl, 'POST', `/v1/invites/${bytesToHex(inv.bytes)}/join-requests`, p.randomBytes(64), joiner);
      expect(r.status).toBe(201);
      await owner!.waitFor((f) => f.type === FRAME.JOIN_REQUEST, 10_000);
      owner!.close();
    });

    it('a lost Redis subscription is repaired by catch-up from the database', async () => {
      const g = await setupGroup(cluster, [0, 1]);
      const [a, b] = (await connectAll(g.urls, g.tokens)) as [WsClient, WsClient];
      const redis = new Redis(TEST_REDIS_URL);
      try {
        // Drop instance subscriptions of this cluster only (their connection names carry the channel).
        const list = await redis.client('LIST');
        const ids = String(list)
          .split('\n')
          .filter((l) => l.includes(`name=${cluster.channel}:sub`))
          .map((l) => /id=(\d+)/.exec(l)![1]!);
        expect(ids.length).toBe(3);
        for (const id of ids) await redis.client('KILL', 'ID', id);
      } finally {
        redis.disconnect();
      }
      for (let k = 0; k < 20; k++) a.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(0)) });
      await a.waitCount((f) => f.type === FRAME.SEND_OK, 20, 10_000);
      await b.waitCount((f) => f.type === FRAME.MESSAGE, 20, 10_000);
      expect(seqsOf(b)).toEqual(range(1, 20));
      a.close();
      b.close();
    });
  });

  describe('an instance that commits without publishing', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(2);
      // Instance 2 on another channel: nothing it commits reaches instances 0 and 1, as with an
      // instance killed between its commit and its publish.
      await cluster.add({ RELAY_REDIS_CHANNEL: freshChannel() });
    });
    afterAll(async () => {
      await cluster?.cleanup();
    });

    it('a cursor past the cached head is checked against the database, not sent again', async () => {
      // Sender and reader 2 on the silent instance 2, reader 1 on instance 0 (which caches the group).
      const g = await setupGroup(cluster, [2, 0, 2]);
      const [sender, r1, r2] = (await connectAll(g.urls, g.tokens)) as [WsClient, WsClient, WsClient];
      for (let k = 0; k < 5; k++) sender.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(0)) });
      await r2.waitCount((f) => f.type === FRAME.MESSAGE, 5, 10_000);
      expect(seqsOf(r2)).toEqual(range(1, 5));
      r2.close();

      // Reader 2 moves to instance 0 with its cursor at 5; instance 0 has heard of none of them.
      const t2 = (await login(cluster.instances[0]!.httpUrl, p, g.devices[2]!)).token;
      const moved = await WsClient.connect(cluster.instances[0]!.wsUrl, t2, { cursors: [{ groupId: g.groupId, messageAfter: 5, logFrom: 2 }] });
      const caughtUp = await moved.waitFor((f) => f.type === FRAME.CAUGHT_UP, 10_000);
      expect(caughtUp.type === FRAME.CAUGHT_UP && caughtUp.messageSeq).toBe(5);
      // Reading the head also brought reader 1, already attached there, up to date.
      await r1.waitCount((f) => f.type === FRAME.MESSAGE, 5, 10_000);

      const t0 = (await login(cluster.instances[0]!.httpUrl, p, g.devices[0]!)).token;
      const sender0 = await WsClient.connect(cluster.instances[0]!.wsUrl, t0);
      await sender0.waitFor((f) => f.type === FRAME.CAUGHT_UP, 10_000);
      sender0.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, g.state.epoch, 5, 256, g.idx(0)) });
      await moved.waitFor((f) => f.type === FRAME.MESSAGE, 10_000);
      await r1.waitCount((f) => f.type === FRAME.MESSAGE, 6, 10_000);
      await moved.roundTrip();
      expect(seqsOf(moved)).toEqual([6]);
      expect(seqsOf(r1)).toEqual(range(1, 6));
      [sender, sender0, r1, moved].forEach((s) => s.close());
    });

    it('a kick it commits cuts the member off on the other instances when they next read the group', async () => {
      // The owner on the silent instance 2; the member who stays on instance 0; the kicked member
      // with a socket on instance 0 and one on instance 1.
      const g = await setupGroup(cluster, [2, 0, 0]);
      const [, stays, kicked0] = (await connectAll(g.urls, g.tokens)) as [WsClient, WsClient, WsClient];
      const t1 = (await login(cluster.instances[1]!.httpUrl, p, g.devices[2]!)).token;
      const [kicked1] = (await connectAll([cluster.instances[1]!], [t1])) as [WsClient];
      const kick = buildRemove(p, g.devices[0]!, g.state, [g.devices[2]!]);
      expect((await append(g.urls[0]!.httpUrl, g.tokens[0]!, g.groupId, g.state.headHash, kick.entry, kick.envelopes)).status).toBe(200);
      // Instance 0 learns of the new epoch from a send in it: it reads the group and cuts the kicked
      // member off before the message goes out; the member who stays gets the kick's entry with its
      // envelope. Instance 1 learns of it from that message's event, which is in an epoch it has not seen.
      stays.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: g.groupId, ciphertext: fakeGroupMessage(g.groupId, kick.state.epoch, 0, 256, senderIndexOf(kick.state, g.devices[1]!.memberId)) });
      await stays.waitFor((f) => f.type === FRAME.SEND_OK, 10_000);
      await Promise.all([kicked0, kicked1].map((k) => k.waitFor((f) => f.type === FRAME.REMOVED, 10_000)));
      const le = await stays.waitFor((f) => f.type === FRAME.LOG_ENTRY && f.index === 2, 10_000);
      const mine = kick.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), g.devices[1]!.memberId))!;
      expect(le.type === FRAME.LOG_ENTRY && equalBytes(le.envelope, mine)).toBe(true);
      for (const k of [kicked0, kicked1]) {
        await k.roundTrip();
        expect(k.of(FRAME.MESSAGE)).toHaveLength(0);
        expect(k.of(FRAME.LOG_ENTRY).filter((f) => f.index === 2)).toHaveLength(0);
      }
      [stays, kicked0, kicked1].forEach((s) => s.close());
    });

    it('a kick it commits cuts the member off on another instance when that one appends the next entry', async () => {
      const g = await setupGroup(cluster, [2, 0, 0]);
      const [, stays, kicked] = (await connectAll(g.urls, g.tokens)) as [WsClient, WsClient, WsClient];
      const kick = buildRemove(p, g.devices[0]!, g.state, [g.devices[2]!]);
      expect((await append(g.urls[0]!.httpUrl, g.tokens[0]!, g.groupId, g.state.headHash, kick.entry, kick.envelopes)).status).toBe(200);
      // The owner's next entry goes through instance 0, whose cached view still has the kicked member.
      const owner0 = (await login(cluster.instances[0]!.httpUrl, p, g.devices[0]!)).token;
      const rotate = buildEntry(p, g.devices[0]!, kick.state, { kind: 'rotate' });
      expect((await append(cluster.instances[0]!.httpUrl, owner0, g.groupId, kick.state.headHash, rotate.entry, rotate.envelopes)).status).toBe(200);
      await kicked.waitFor((f) => f.type === FRAME.REMOVED, 10_000);
      await stays.waitFor((f) => f.type === FRAME.LOG_ENTRY && f.index === 3, 10_000);
      expect(stays.of(FRAME.LOG_ENTRY).map((f) => f.index)).toEqual([1, 2, 3]);
      await kicked.roundTrip();
      expect(kicked.of(FRAME.LOG_ENTRY).filter((f) => f.index >= 2)).toHaveLength(0);
      [stays, kicked].forEach((s) => s.close());
    });
  });

  describe('two instances, one killed mid-traffic', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster(2);
    });
    afterAll(async () => {
      await cluster?.cleanup();
    });

    it('loses no acknowledged message; its clients reconnect to the other instance and resume', async () => {
      // Senders and readers on both instances; instance 0 is killed with -9 halfway.
      const g = await setupGroup(cluster, [0, 0, 1, 1]);
      const socks = await connectAll(g.urls, g.tokens);
      const [sA, rA, sB, rB] = socks as [WsClient, WsClient, WsClient, WsClient];
      const total = 60;
      const ids = { a: Array.from({ length: total }, cid), b: Array.from({ length: total }, cid) };
      const msgA = (k: number) => fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(0));
      const msgB = (k: number) => fakeGroupMessage(g.groupId, g.state.epoch, k, 256, g.idx(2));
      for (let k = 0; k < total / 2; k++) {
        sA.send({ type: FRAME.SEND, clientMessageId: ids.a[k]!, groupId: g.groupId, ciphertext: msgA(k) });
        sB.send({ type: FRAME.SEND, clientMessageId: ids.b[k]!, groupId: g.groupId, ciphertext: msgB(k) });
      }
      // Kill as soon as a few sends are acknowledged, with more in flight.
      await sA.waitCount((f) => f.type === FRAME.SEND_OK, 5, 10_000);
      await cluster.instances[0]!.kill();
      await Promise.all([sA.waitClose(), rA.waitClose()]);
      const ackedBeforeKill = new Map(sA.of(FRAME.SEND_OK).map((f) => [bytesToHex(f.clientMessageId), f.seq]));
      const readByRA = seqsOf(rA);
      expect(ackedBeforeKill.size).toBeLessThan(total / 2 + 1);

      // sA and rA log in again on instance 1; sA retries everything not acknowledged (same client IDs).
      const survivor = cluster.instances[1]!;
      const tA = (await login(survivor.httpUrl, p, g.devices[0]!)).token;
      const tR = (await login(survivor.httpUrl, p, g.devices[1]!)).token;
      const sA2 = await WsClient.connect(survivor.wsUrl, tA);
      const rA2 = await WsClient.connect(survivor.wsUrl, tR, { cursors: [{ groupId: g.groupId, messageAfter: readByRA.at(-1) ?? 0, logFrom: 2 }] });
      await Promise.all([sA2, rA2].map((s) => s.waitFor((f) => f.type === FRAME.CAUGHT_UP, 10_000)));
      for (let k = 0; k < total; k++) {
        if (k < total / 2 && ackedBeforeKill.has(bytesToHex(ids.a[k]!))) continue;
        sA2.send({ type: FRAME.SEND, clientMessageId: ids.a[k]!, groupId: g.groupId, ciphertext: msgA(k) });
      }
      for (let k = total / 2; k < total; k++) sB.send({ type: FRAME.SEND, clientMessageId: ids.b[k]!, groupId: g.groupId, ciphertext: msgB(k) });
      await sA2.waitCount((f) => f.type === FRAME.SEND_OK, total - ackedBeforeKill.size, 20_000);
      await sB.waitCount((f) => f.type === FRAME.SEND_OK, total, 20_000);

      // Every acknowledged message kept its sequence number; all 120 are stored gap-free.
      const finalSeq = new Map(sA2.of(FRAME.SEND_OK).map((f) => [bytesToHex(f.clientMessageId), f.seq]));
      for (const [id, seq] of ackedBeforeKill) expect(finalSeq.get(id) ?? seq).toBe(seq);
      const page = await http(survivor.httpUrl, 'GET', `/v1/groups/${bytesToHex(g.groupId)}/messages?limit=500`, undefined, g.tokens[3]);
      expect(decodeMessagePage(page.bytes).items.map((m) => m.seq)).toEqual(range(1, 2 * total));
      // Readers: rB (never interrupted) and rA (before + after the kill) each saw every message once, in order.
      await rB.waitCount((f) => f.type === FRAME.MESSAGE, 2 * total, 20_000);
      expect(seqsOf(rB)).toEqual(range(1, 2 * total));
      await rA2.waitCount((f) => f.type === FRAME.MESSAGE, 2 * total - readByRA.length, 20_000);
      expect([...readByRA, ...seqsOf(rA2)]).toEqual(range(1, 2 * total));
      [sA2, rA2, sB, rB].forEach((s) => s.close());
    });
  });
});
