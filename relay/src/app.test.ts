// Route tests on Hono's app.request (no sockets): auth, prekeys, groups and the log,
// history, blobs, invites, limits.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../crypto/src/bytes';
import {
  decodeAuthChallengeResponse,
  decodeJoinRequestList,
  decodeLogAppendResponse,
  decodeMessagePage,
  decodeU64Body,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
  encodeInviteCreateRequest,
  encodeLogAppendRequest,
  encodePrekeyUpload,
} from '../../crypto/src/wire/http-bodies';
import { createPrekeyStore, prekeyBundleOf } from '../../crypto/src/identity/prekeys';
import { signPrekey, verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { signRelayAuthChallenge } from '../../crypto/src/wire/relay-auth';
import { appFixture, type AppFixture } from '../test/helpers/app';
import { buildAdd, buildCreate, buildEntry, buildRemove, DEFAULT_POLICY, fakeGroupMessage, makeDevice, type Device } from '../test/helpers/log';
import { TEST_STORES } from '../test/helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let fx: AppFixture;
  afterEach(async () => {
    await fx?.close();
  });

  const ZERO = new Uint8Array(32);

  async function group(f: AppFixture, n: number) {
    const devs: Device[] = Array.from({ length: n }, () => makeDevice(f.p));
    const tokens: Uint8Array[] = [];
    for (const d of devs) tokens.push(await f.login(d));
    const c = buildCreate(f.p, devs[0]!);
    expect((await f.req('POST', '/v1/groups', encodeLogAppendRequest({ expectedHead: ZERO, entry: c.entry, envelopes: [] }), tokens[0])).status).toBe(201);
    let state = c.state;
    if (n > 1) {
      const a = buildAdd(f.p, devs[0]!, state, devs.slice(1));
      const r = await f.req('POST', `/v1/groups/${bytesToHex(state.groupId)}/log`, encodeLogAppendRequest({ expectedHead: state.headHash, entry: a.entry, envelopes: a.envelopes }), tokens[0]);
      expect(r.status).toBe(200);
      state = a.state;
    }
    return { devs, tokens, state, gid: bytesToHex(state.groupId) };
  }

  describe('health and metrics', () => {
    it('health answers; metrics expose counts and never a member or group ID', async () => {
      fx = await appFixture({ store: kind });
      expect((await fx.req('GET', '/health')).json).toEqual({ status: 'ok' });
      const { tokens, gid, devs } = await group(fx, 2);
      await fx.req('GET', `/v1/groups/${gid}/messages`, undefined, tokens[1]);
      const m = await fx.req('GET', '/metrics');
      const text = Buffer.from(m.bytes).toString('utf8');
      expect(text).toContain('relay_log_entries_total 2');
      expect(text).toContain('relay_database_size_bytes');
      expect(text).toMatch(/relay_http_request_seconds_bucket/);
      expect(text).not.toContain(gid);
      expect(text).not.toContain(bytesToHex(devs[0]!.memberId));
    });
  });

  describe('auth', () => {
    it('logs in by challenge-response; a replayed answer, another key, an expired challenge and junk are refused', async () => {
      fx = await appFixture({ store: kind, challengeTtlSeconds: 30 });
      const d = makeDevice(fx.p);
      const e = makeDevice(fx.p);
      const ch = decodeAuthChallengeResponse((await fx.req('POST', '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: d.identityKey }))).bytes).challenge;
      const answer = encodeAuthSessionRequest({ challenge: ch, signature: signRelayAuthChallenge(fx.p, d.seed, ch) });
      expect((await fx.req('POST', '/v1/auth/session', answer)).status).toBe(200);
      const replay = await fx.req('POST', '/v1/auth/session', answer);
      expect(replay.status).toBe(401);
      expect(replay.json?.error).toBe('E2E_ERR_RELAY_UNAUTHENTICATED');
      const ch2 = decodeAuthChallengeResponse((await fx.req('POST', '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: d.identityKey }))).bytes).challenge;
      expect((await fx.req('POST', '/v1/auth/session', encodeAuthSessionRequest({ challenge: ch2, signature: signRelayAuthChallenge(fx.p, e.seed, ch2) }))).status).toBe(401);
      const ch3 = decodeAuthChallengeResponse((await fx.req('POST', '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: d.identityKey }))).bytes).challenge;
      fx.clock.now += 31_000;
      expect((await fx.req('POST', '/v1/auth/session', encodeAuthSessionRequest({ challenge: ch3, signature: signRelayAuthChallenge(fx.p, d.seed, ch3) }))).status).toBe(401);
      const junk = await fx.req('POST', '/v1/auth/challenge', Uint8Array.of(1, 2, 3));
      expect(junk.status).toBe(400);
      expect(junk.json?.error).toBe('E2E_ERR_RELAY_MALFORMED');
    });

    it('tokens expire; missing and malformed tokens are refused', async () => {
      fx = await appFixture({ store: kind, tokenTtlSeconds: 60 });
      const t = await fx.login(makeDevice(fx.p));
      const body = encodePrekeyUpload({ signedPrekey: new Uint8Array(0), oneTimePrekeys: [] });
      expect((await fx.req('PUT', '/v1/prekeys', body, t)).status).toBe(204);
      expect((await fx.req('PUT', '/v1/prekeys', body)).json?.error).toBe('E2E_ERR_RELAY_UNAUTHENTICATED');
      expect((await fx.req('PUT', '/v1/prekeys', body, undefined, { authorization: 'Bearer xyz' })).status).toBe(401);
      fx.clock.now += 61_000;
      const r = await fx.req('PUT', '/v1/prekeys', body, t);
      expect(r.status).toBe(401);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_TOKEN_EXPIRED');
    });
  });

  describe('prekeys', () => {
    it('hands each one-time prekey out once inside a bundle the claimer can verify; claims are rate limited', async () => {
      fx = await appFixture({ store: kind, claimRatePerMinute: 3 });
      const bob = makeDevice(fx.p);
      const bt = await fx.login(bob);
      const at = await fx.login(makeDevice(fx.p));
      const store = createPrekeyStore(fx.p, fx.clock.now, 2);
      const oneTimePrekeys = store.oneTime.map((k) => {
        const sig = signPrekey(fx.p, bob.seed, 'one-time', k.id, k.publicKey);
        return { id: k.id, key: new Uint8Array([...sig.publicKey, ...sig.signature]) };
      });
      const up = encodePrekeyUpload({ signedPrekey: prekeyBundleOf(fx.p, bob.seed, store), oneTimePrekeys });
      expect((await fx.req('PUT', '/v1/prekeys', up, bt)).status).toBe(204);
      const path = `/v1/members/${bytesToHex(bob.memberId)}/prekey-claim`;
      const got = [];
      for (let i = 0; i < 3; i++) got.push(verifyPrekeyBundle(fx.p, (await fx.req('POST', path, undefined, at)).bytes));
      expect(got.map((g) => g.oneTimePrekey?.id ?? null)).toEqual([...store.oneTime.map((k) => k.id), null]);
      expect(got.every((g) => equalBytes(g.identityKey, bob.identityKey) && equalBytes(g.signedPrekey.publicKey, store.signed.publicKey))).toBe(true);
      const limited = await fx.req('POST', path, undefined, at);
      expect(limited.status).toBe(429);
      expect(limited.json?.error).toBe('E2E_ERR_RELAY_RATE_LIMITED');
      expect((await fx.req('POST', `/v1/members/${'ab'.repeat(32)}/prekey-claim`, undefined, bt)).status).toBe(404);
    });

    it("refuses prekeys the device did not sign: another device's bundle, a bad one-time signature, junk", async () => {
      fx = await appFixture({ store: kind });
      const bob = makeDevice(fx.p);
      const eve = makeDevice(fx.p);
      const et = await fx.login(eve);
      const store = createPrekeyStore(fx.p, fx.clock.now, 1);
      const bobs = encodePrekeyUpload({ signedPrekey: prekeyBundleOf(fx.p, bob.seed, store), oneTimePrekeys: [] });
      expect((await fx.req('PUT', '/v1/prekeys', bobs, et)).json?.error).toBe('E2E_ERR_RELAY_FORBIDDEN');
      const k = store.oneTime[0]!;
      const forged = signPrekey(fx.p, bob.seed, 'one-time', k.id, k.publicKey);
      const bad = encodePrekeyUpload({ signedPrekey: new Uint8Array(0), oneTimePrekeys: [{ id: k.id, key: new Uint8Array([...forged.publicKey, ...forged.signature]) }] });
      expect((await fx.req('PUT', '/v1/prekeys', bad, et)).status).toBe(400);
      const junk = encodePrekeyUpload({ signedPrekey: new Uint8Array(50), oneTimePrekeys: [] });
      expect((await fx.req('PUT', '/v1/prekeys', junk, et)).json?.error).toBe('E2E_ERR_RELAY_MALFORMED');
    });
  });

  describe('groups and the log', () => {
    it('refuses a create by another device, a duplicate create, a bad signature and a non-zero head', async () => {
      fx = await appFixture({ store: kind });
      const a = makeDevice(fx.p);
      const b = makeDevice(fx.p);
      const bt = await fx.login(b);
      const at = await fx.login(a);
      const c = buildCreate(fx.p, a);
      const req = encodeLogAppendRequest({ expectedHead: ZERO, entry: c.entry, envelopes: [] });
      expect((await fx.req('POST', '/v1/groups', req, bt)).json?.error).toBe('E2E_ERR_RELAY_FORBIDDEN');
      expect((await fx.req('POST', '/v1/groups', req, at)).status).toBe(201);
      expect((await fx.req('POST', '/v1/groups', req, at)).status).toBe(409);
      const c2 = buildCreate(fx.p, a);
      const bad = c2.entry.slice();
      bad[bad.length - 1]! ^= 1;
      const r = await fx.req('POST', '/v1/groups', encodeLogAppendRequest({ expectedHead: ZERO, entry: bad, envelopes: [] }), at);
      expect(r.status).toBe(422);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_REJECTED_ENTRY');
      expect(JSON.stringify(r.json)).toContain('E2E_ERR_BAD_SIGNATURE');
      expect((await fx.req('POST', '/v1/groups', encodeLogAppendRequest({ expectedHead: new Uint8Array(32).fill(1), entry: c2.entry, envelopes: [] }), at)).status).toBe(400);
    });

    it('enforces the fold on appends: wrong role, stale head, envelope for the wrong recipient', async () => {
      fx = await appFixture({ store: kind });
      const { devs, tokens, state, gid } = await group(fx, 3);
      const byMember = buildRemove(fx.p, devs[1]!, state, [devs[2]!]);
      const r1 = await fx.req('POST', `/v1/groups/${gid}/log`, encodeLogAppendRequest({ expectedHead: state.headHash, entry: byMember.entry, envelopes: byMember.envelopes }), tokens[1]);
      expect(r1.status).toBe(422);
      expect(JSON.stringify(r1.json)).toContain('E2E_ERR_UNAUTHORISED');
      const rot = buildEntry(fx.p, devs[0]!, state, { kind: 'rotate' });
      const swapped = [...rot.envelopes].reverse();
      const r2 = await fx.req('POST', `/v1/groups/${gid}/log`, encodeLogAppendRequest({ expectedHead: state.headHash, entry: rot.entry, envelopes: swapped }), tokens[0]);
      expect(r2.status).toBe(422);
      expect(JSON.stringify(r2.json)).toContain('E2E_ERR_ENVELOPE_MISMATCH');
      const ok = await fx.req('POST', `/v1/groups/${gid}/log`, encodeLogAppendRequest({ expectedHead: state.headHash, entry: rot.entry, envelopes: rot.envelopes }), tokens[0]);
      expect(decodeLogAppendResponse(ok.bytes)).toMatchObject({ index: 2, epoch: 2 });
      const stale = await fx.req('POST', `/v1/groups/${gid}/log`, encodeLogAppendRequest({ expectedHead: state.headHash, entry: rot.entry, envelopes: rot.envelopes }), tokens[0]);
      expect(stale.json?.error).toBe('E2E_ERR_RELAY_HEAD_MISMATCH');
    });

    it('pages message history by cursor', async () => {
      fx = await appFixture({ store: kind });
      const { tokens, state, gid } = await group(fx, 2);
      const g = (await fx.core.group(state.groupId))!;
      const sender = (await fx.core.store.deviceRef(state.members[0]!.memberId))!;
      await fx.core.store.commitSends(
        Array.from({ length: 5 }, (_, i) => ({ groupRef: g.ref, senderRef: sender, clientId: fx.p.randomBytes(16), epoch: 1, sentAt: 1, body: fakeGroupMessage(state.groupId, 1, i) })),
      );
      const p1 = decodeMessagePage((await fx.req('GET', `/v1/groups/${gid}/messages?after=0&limit=2`, undefined, tokens[1])).bytes);
      expect(p1.items.map((m) => m.seq)).toEqual([1, 2]);
      expect(p1.more).toBe(true);
      const p2 = decodeMessagePage((await fx.req('GET', `/v1/groups/${gid}/messages?after=2&limit=10`, undefined, tokens[1])).bytes);
      expect(p2.items.map((m) => m.seq)).toEqual([3, 4, 5]);
      expect(p2.more).toBe(false);
      expect((await fx.req('GET', `/v1/groups/${gid}/messages?after=x`, undefined, tokens[1])).status).toBe(400);
    });
  });

  describe('memory', () => {
    it('evicts idle groups beyond the cache cap and reloads them from the store on use', async () => {
      fx = await appFixture({ store: kind }, 10);
      const made = [];
      for (let i = 0; i < 14; i++) made.push(await group(fx, 1));
      expect(fx.core.cachedGroups).toBe(14);
      fx.core.evictIdleGroups();
      expect(fx.core.cachedGroups).toBe(9);
      const first = made[0]!;
      const r = await fx.req('GET', `/v1/groups/${first.gid}/log`, undefined, first.tokens[0]);
      expect(r.status).toBe(200);
      expect(fx.core.cachedGroups).toBe(10);
    });
  });

  describe('limits', () => {
    it('refuses bodies over the cap with 413 and a stable code', async () => {
      fx = await appFixture({ store: kind, maxBodyBytes: 4096 });
      const t = await fx.login(makeDevice(fx.p));
      const big = encodePrekeyUpload({ signedPrekey: new Uint8Array(2000), oneTimePrekeys: Array.from({ length: 60 }, (_, id) => ({ id, key: new Uint8Array(100) })) });
      const r = await fx.req('PUT', '/v1/prekeys', big, t);
      expect(r.status).toBe(413);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_TOO_LARGE');
    });

    it('rate limits requests per IP', async () => {
      fx = await appFixture({ store: kind, rateLimitPerIp: 5 });
      const codes = [];
      for (let i = 0; i < 14; i++) codes.push((await fx.req('GET', '/health')).status);
      expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
      expect(codes.slice(0, 10).every((c) => c === 200)).toBe(true);
    });
  });

  describe('blobs', () => {
    it('stores an encrypted blob for members only, with a size cap', async () => {
      fx = await appFixture({ store: kind, maxBlobBytes: 2048 });
      const { tokens, gid } = await group(fx, 2);
      const outsider = await fx.login(makeDevice(fx.p));
      const blob = fx.p.randomBytes(1500);
      const up = await fx.req('POST', `/v1/groups/${gid}/blobs`, blob, tokens[0]);
      expect(up.status).toBe(201);
      const id = bytesToHex(up.bytes);
      const down = await fx.req('GET', `/v1/blobs/${id}`, undefined, tokens[1]);
      expect(down.status).toBe(200);
      expect(equalBytes(down.bytes, blob)).toBe(true);
      expect((await fx.req('GET', `/v1/blobs/${id}`, undefined, outsider)).json?.error).toBe('E2E_ERR_RELAY_NOT_MEMBER');
      expect((await fx.req('POST', `/v1/groups/${gid}/blobs`, blob, outsider)).status).toBe(403);
      expect((await fx.req('POST', `/v1/groups/${gid}/blobs`, new Uint8Array(3000), tokens[0])).status).toBe(413);
      expect((await fx.req('GET', `/v1/blobs/${'00'.repeat(16)}`, undefined, tokens[0])).status).toBe(404);
    });

    it('only members the policy lets send media may upload blobs', async () => {
      fx = await appFixture({ store: kind });
      const owner = makeDevice(fx.p);
      const member = makeDevice(fx.p);
      const ot = await fx.login(owner);
      const mt = await fx.login(member);
      const c = buildCreate(fx.p, owner, { ...DEFAULT_POLICY, maySendMedia: 'admins' });
      await fx.req('POST', '/v1/groups', encodeLogAppendRequest({ expectedHead: ZERO, entry: c.entry, envelopes: [] }), ot);
      const add = buildAdd(fx.p, owner, c.state, [member]);
      const gid = bytesToHex(c.state.groupId);
      await fx.req('POST', `/v1/groups/${gid}/log`, encodeLogAppendRequest({ expectedHead: c.state.headHash, entry: add.entry, envelopes: add.envelopes }), ot);
      const denied = await fx.req('POST', `/v1/groups/${gid}/blobs`, fx.p.randomBytes(100), mt);
      expect(denied.json?.error).toBe('E2E_ERR_RELAY_FORBIDDEN');
      expect((await fx.req('POST', `/v1/groups/${gid}/blobs`, fx.p.randomBytes(100), ot)).status).toBe(201);
    });
  });

  describe('invites and join requests', () => {
    it('enforces expiry and use counts, and shows requests only to members allowed to approve', async () => {
      fx = await appFixture({ store: kind });
      const { tokens, gid } = await group(fx, 2);
      const joiner = await fx.login(makeDevice(fx.p));
      const joiner2 = await fx.login(makeDevice(fx.p));
      const inv = encodeInviteCreateRequest({ expiresAt: fx.clock.now + 60_000, maxUses: 1 });
      expect((await fx.req('POST', `/v1/groups/${gid}/invites`, inv, tokens[1])).json?.error).toBe('E2E_ERR_RELAY_FORBIDDEN');
      const created = await fx.req('POST', `/v1/groups/${gid}/invites`, inv, tokens[0]);
      expect(created.status).toBe(201);
      const inviteId = bytesToHex(created.bytes);
      const j1 = await fx.req('POST', `/v1/invites/${inviteId}/join-requests`, fx.p.randomBytes(80), joiner);
      expect(j1.status).toBe(201);
      const reqId = decodeU64Body(j1.bytes, 'id');
      const j2 = await fx.req('POST', `/v1/invites/${inviteId}/join-requests`, fx.p.randomBytes(80), joiner2);
      expect(j2.status).toBe(410);
      const list = decodeJoinRequestList((await fx.req('GET', `/v1/groups/${gid}/join-requests`, undefined, tokens[0])).bytes);
      expect(list.map((r) => r.requestId)).toEqual([reqId]);
      expect((await fx.req('GET', `/v1/groups/${gid}/join-requests`, undefined, tokens[1])).status).toBe(403);
      expect((await fx.req('DELETE', `/v1/groups/${gid}/join-requests/${reqId}`, undefined, tokens[1])).status).toBe(403);
      expect((await fx.req('DELETE', `/v1/groups/${gid}/join-requests/${reqId}`, undefined, tokens[0])).status).toBe(204);
      // Expiry.
      const inv2 = bytesToHex((await fx.req('POST', `/v1/groups/${gid}/invites`, encodeInviteCreateRequest({ expiresAt: fx.clock.now + 1000, maxUses: 5 }), tokens[0])).bytes);
      fx.clock.now += 2000;
      const late = await fx.req('POST', `/v1/invites/${inv2}/join-requests`, fx.p.randomBytes(10), joiner2);
      expect(late.status).toBe(410);
      expect(late.json?.error).toBe('E2E_ERR_RELAY_EXPIRED');
      expect((await fx.req('POST', `/v1/invites/${'00'.repeat(16)}/join-requests`, fx.p.randomBytes(10), joiner2)).status).toBe(404);
    });
  });
});
