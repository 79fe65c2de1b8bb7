// The authorisation matrix: every route and frame type against no auth, an expired token,
// a replayed challenge, a non-member, a kicked member and a member with the wrong role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { encodeAuthSessionRequest, encodeInviteCreateRequest, encodeLogAppendRequest, encodePrekeyBundlesRequest, encodePrekeyUpload } from '../../crypto/src/wire/http-bodies';
import { CLOSE, FRAME, RELAY_ERROR, type ClientFrame } from '../../crypto/src/wire/relay-frames';
import { append, http, login, WsClient } from './helpers/client';
import { buildAdd, buildCreate, buildEntry, buildRemove, DEFAULT_POLICY, fakeGroupMessage, makeDevice, senderIndexOf, type Device } from './helpers/log';
import { startTestRelay, type TestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let p: Primitives;
  let relay: TestRelay;
  const clock = { now: Date.now() };
  const ZERO = new Uint8Array(32);

  type Who = 'none' | 'expired' | 'outsider' | 'kicked' | 'member';
  const tok: Partial<Record<Who, Uint8Array>> = {};
  let owner: Device;
  let member: Device;
  let ownerTok: Uint8Array;
  let groupId: Uint8Array;
  let gid: string;
  let epoch: number;
  let head: Uint8Array;
  let blobId: string;
  let inviteId: string;
  let mutedGroup: Uint8Array;
  let mutedEpoch: number;
  let mutedIdx: { owner: number; member: number };
  let state: ReturnType<typeof buildCreate>['state'];

  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
    relay = await startTestRelay({ store: kind, tokenTtlSeconds: 60 }, undefined, { now: () => clock.now });
    const expiredDev = makeDevice(p);
    tok.expired = (await login(relay.httpUrl, p, expiredDev)).token;
    clock.now += 61_000;
    owner = makeDevice(p);
    member = makeDevice(p);
    const kicked = makeDevice(p);
    const outsider = makeDevice(p);
    ownerTok = (await login(relay.httpUrl, p, owner)).token;
    tok.member = (await login(relay.httpUrl, p, member)).token;
    tok.kicked = (await login(relay.httpUrl, p, kicked)).token;
    tok.outsider = (await login(relay.httpUrl, p, outsider)).token;
    const c = buildCreate(p, owner);
    expect((await append(relay.httpUrl, ownerTok, null, ZERO, c.entry, [])).status).toBe(201);
    const add = buildAdd(p, owner, c.state, [member, kicked]);
    expect((await append(relay.httpUrl, ownerTok, c.state.groupId, c.state.headHash, add.entry, add.envelopes)).status).toBe(200);
    const rm = buildRemove(p, owner, add.state, [kicked]);
    expect((await append(relay.httpUrl, ownerTok, c.state.groupId, add.state.headHash, rm.entry, rm.envelopes)).status).toBe(200);
    state = rm.state;
    groupId = state.groupId;
    gid = bytesToHex(groupId);
    epoch = state.epoch;
    head = state.headHash;
    const up = await http(relay.httpUrl, 'POST', `/v1/groups/${gid}/blobs`, p.randomBytes(100), ownerTok);
    blobId = bytesToHex(up.bytes);
    const inv = await http(relay.httpUrl, 'POST', `/v1/groups/${gid}/invites`, encodeInviteCreateRequest({ expiresAt: clock.now + 600_000, maxUses: 10 }), ownerTok);
    inviteId = bytesToHex(inv.bytes);
    // A second group where only admins may speak (whole-group mute).
    const m = buildCreate(p, owner, { ...DEFAULT_POLICY, groupMuted: true });
    expect((await append(relay.httpUrl, ownerTok, null, ZERO, m.entry, [])).status).toBe(201);
    const madd = buildAdd(p, owner, m.state, [member]);
    expect((await append(relay.httpUrl, ownerTok, m.state.groupId, m.state.headHash, madd.entry, madd.envelopes)).status).toBe(200);
    mutedGroup = m.state.groupId;
    mutedEpoch = madd.state.epoch;
    mutedIdx = { owner: senderIndexOf(madd.state, owner.memberId), member: senderIndexOf(madd.state, member.memberId) };
  });
  afterAll(async () => {
    await relay?.cleanup();
  });

  interface Route {
    name: string;
    method: string;
    path: () => string;
    body?: () => Uint8Array;
    /** Expected [status, error] for each principal; omitted principals are not applicable. */
    expect: Partial<Record<Who, [number, string?]>>;
  }

  const AUTH_ONLY: Partial<Record<Who, [number, string?]>> = {
    none: [401, 'E2E_ERR_RELAY_UNAUTHENTICATED'],
    expired: [401, 'E2E_ERR_RELAY_TOKEN_EXPIRED'],
  };
  const MEMBERS_ONLY = (memberStatus: number, memberError?: string): Partial<Record<Who, [number, string?]>> => ({
    ...AUTH_ONLY,
    outsider: [403, 'E2E_ERR_RELAY_NOT_MEMBER'],
    kicked: [403, 'E2E_ERR_RELAY_NOT_MEMBER'],
    member: memberError ? [memberStatus, memberError] : [memberStatus],
  });

  const ROUTES: Route[] = [
    { name: 'PUT /v1/prekeys', method: 'PUT', path: () => '/v1/prekeys', body: () => encodePrekeyUpload({ signedPrekey: new Uint8Array(0), oneTimePrekeys: [] }), expect: { ...AUTH_ONLY, outsider: [204] } },
    { name: 'POST prekey-claim', method: 'POST', path: () => `/v1/members/${bytesToHex(owner.memberId)}/prekey-claim`, expect: { ...AUTH_ONLY, outsider: [404, 'E2E_ERR_RELAY_NOT_FOUND'] } },
    {
      name: 'POST /v1/groups (create)',
      method: 'POST',
      path: () => '/v1/groups',
      body: () => encodeLogAppendRequest({ expectedHead: ZERO, entry: buildCreate(p, owner).entry, envelopes: [] }),
      expect: { ...AUTH_ONLY, outsider: [403, 'E2E_ERR_RELAY_FORBIDDEN'] },
    },
    {
      name: 'POST log (append)',
      method: 'POST',
      path: () => `/v1/groups/${gid}/log`,
      body: () => {
        const e = buildRemove(p, member, state, [owner]); // a member may not remove the owner
        return encodeLogAppendRequest({ expectedHead: head, entry: e.entry, envelopes: e.envelopes });
      },
      expect: MEMBERS_ONLY(422, 'E2E_ERR_RELAY_REJECTED_ENTRY'),
    },
    {
      name: 'POST prekey-bundles',
      method: 'POST',
      path: () => `/v1/groups/${gid}/prekey-bundles`,
      body: () => encodePrekeyBundlesRequest({ memberIds: [owner.memberId] }),
      expect: MEMBERS_ONLY(200),
    },
    { name: 'GET log', method: 'GET', path: () => `/v1/groups/${gid}/log`, expect: MEMBERS_ONLY(200) },
    { name: 'GET messages', method: 'GET', path: () => `/v1/groups/${gid}/messages`, expect: MEMBERS_ONLY(200) },
    { name: 'POST blob', method: 'POST', path: () => `/v1/groups/${gid}/blobs`, body: () => p.randomBytes(50), expect: MEMBERS_ONLY(201) },
    { name: 'GET blob', method: 'GET', path: () => `/v1/blobs/${blobId}`, expect: MEMBERS_ONLY(200) },
    {
      name: 'POST invite',
      method: 'POST',
      path: () => `/v1/groups/${gid}/invites`,
      body: () => encodeInviteCreateRequest({ expiresAt: clock.now + 60_000, maxUses: 1 }),
      expect: MEMBERS_ONLY(403, 'E2E_ERR_RELAY_FORBIDDEN'),
    },
    { name: 'POST join request', method: 'POST', path: () => `/v1/invites/${inviteId}/join-requests`, body: () => p.randomBytes(20), expect: { ...AUTH_ONLY, outsider: [201] } },
    { name: 'GET join requests', method: 'GET', path: () => `/v1/groups/${gid}/join-requests`, expect: MEMBERS_ONLY(403, 'E2E_ERR_RELAY_FORBIDDEN') },
    { name: 'DELETE join request', method: 'DELETE', path: () => `/v1/groups/${gid}/join-requests/1`, expect: MEMBERS_ONLY(403, 'E2E_ERR_RELAY_FORBIDDEN') },
  ];

  describe('authorisation matrix: HTTP routes', () => {
    for (const route of ROUTES) {
      for (const who of Object.keys(route.expect) as Who[]) {
        it(`${route.name} as ${who}`, async () => {
          const [status, error] = route.expect[who]!;
          const r = await http(relay.httpUrl, route.method, route.path(), route.body?.(), who === 'none' ? undefined : tok[who]);
          expect(r.status).toBe(status);
          if (error) expect(r.json?.error).toBe(error);
        });
      }
    }

    it('a replayed challenge answer does not log in again', async () => {
      const d = makeDevice(p);
      const first = await login(relay.httpUrl, p, d);
      const replay = await http(relay.httpUrl, 'POST', '/v1/auth/session', encodeAuthSessionRequest({ challenge: first.challenge, signature: first.signature }));
      expect(replay.status).toBe(401);
      expect(replay.json?.error).toBe('E2E_ERR_RELAY_UNAUTHENTICATED');
    });
  });

  describe('authorisation matrix: WebSocket frames', () => {
    const cid = () => p.randomBytes(16);

    it('no auth: any frame before AUTH closes the socket with 4401; a bad token too', async () => {
      const frames: ClientFrame[] = [
        { type: FRAME.SEND, clientMessageId: cid(), groupId: new Uint8Array(16), ciphertext: fakeGroupMessage(new Uint8Array(16), 0, 0) },
        { type: FRAME.ACK, groupId: new Uint8Array(16), seq: 1 },
        { type: FRAME.RESUME, cursors: [] },
        { type: FRAME.PING, nonce: 1 },
        { type: FRAME.AUTH, token: p.randomBytes(32) },
      ];
      for (const frame of frames) {
        const c = await WsClient.open(relay.wsUrl);
        c.send(frame);
        expect(await c.waitClose()).toBe(CLOSE.AUTH_FAILED);
      }
    });

    it('expired token: AUTH closes with 4403', async () => {
      const c = await WsClient.open(relay.wsUrl);
      c.send({ type: FRAME.AUTH, token: tok.expired! });
      expect(await c.waitClose()).toBe(CLOSE.TOKEN_EXPIRED);
    });

    for (const who of ['outsider', 'kicked'] as const) {
      it(`${who}: SEND and ACK get NOT_MEMBER, RESUME delivers nothing of the group, PING works`, async () => {
        const c = await WsClient.connect(relay.wsUrl, tok[who]!);
        c.send({ type: FRAME.PING, nonce: 7 });
        await c.waitFor((f) => f.type === FRAME.PONG && f.nonce === 7);
        c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0) });
        const e1 = await c.waitFor((f) => f.type === FRAME.ERROR);
        expect(e1.type === FRAME.ERROR && e1.code).toBe(RELAY_ERROR.NOT_MEMBER);
        c.send({ type: FRAME.ACK, groupId, seq: 1 });
        await c.waitCount((f) => f.type === FRAME.ERROR, 2);
        expect(c.of(FRAME.ERROR)[1]!.code).toBe(RELAY_ERROR.NOT_MEMBER);
        await new Promise((r) => setTimeout(r, 100));
        expect(c.frames.filter((f) => f.type === FRAME.MESSAGE || f.type === FRAME.LOG_ENTRY || f.type === FRAME.CAUGHT_UP)).toHaveLength(0);
        c.close();
      });
    }

    it('member with the wrong role: SEND in a whole-group-muted group gets FORBIDDEN; the owner may send', async () => {
      const c = await WsClient.connect(relay.wsUrl, tok.member!);
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: mutedGroup, ciphertext: fakeGroupMessage(mutedGroup, mutedEpoch, 0, 256, mutedIdx.member) });
      const e = await c.waitFor((f) => f.type === FRAME.ERROR);
      expect(e.type === FRAME.ERROR && e.code).toBe(RELAY_ERROR.FORBIDDEN);
      const o = await WsClient.connect(relay.wsUrl, ownerTok);
      o.send({ type: FRAME.SEND, clientMessageId: cid(), groupId: mutedGroup, ciphertext: fakeGroupMessage(mutedGroup, mutedEpoch, 0, 256, mutedIdx.owner) });
      await o.waitFor((f) => f.type === FRAME.SEND_OK);
      await c.waitFor((f) => f.type === FRAME.MESSAGE);
      c.close();
      o.close();
    });

    it('member: a send in a replaced epoch gets STALE_EPOCH, one in an unknown epoch FUTURE_EPOCH, junk MALFORMED', async () => {
      const rot = buildEntry(p, owner, state, { kind: 'rotate' });
      const c = await WsClient.connect(relay.wsUrl, tok.member!);
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(groupId, epoch + 5, 0) });
      const e0 = await c.waitFor((f) => f.type === FRAME.ERROR);
      expect(e0.type === FRAME.ERROR && e0.code).toBe(RELAY_ERROR.FUTURE_EPOCH);
      expect((await append(relay.httpUrl, ownerTok, groupId, head, rot.entry, rot.envelopes)).status).toBe(200);
      state = rot.state;
      head = rot.state.headHash;
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0) });
      await c.waitCount((f) => f.type === FRAME.ERROR, 2);
      expect(c.of(FRAME.ERROR)[1]!.code).toBe(RELAY_ERROR.STALE_EPOCH);
      epoch = rot.state.epoch;
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: Uint8Array.of(1, 2, 3) });
      await c.waitCount((f) => f.type === FRAME.ERROR, 3);
      expect(c.of(FRAME.ERROR)[2]!.code).toBe(RELAY_ERROR.MALFORMED);
      c.sendRaw(Uint8Array.of(0x42));
      await c.waitCount((f) => f.type === FRAME.ERROR, 4);
      expect(c.of(FRAME.ERROR)[3]!.code).toBe(RELAY_ERROR.MALFORMED);
      // A header that claims another sender's index, or names another group, is refused.
      const me = senderIndexOf(state, member.memberId);
      const other = senderIndexOf(state, owner.memberId);
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0, 256, other) });
      await c.waitCount((f) => f.type === FRAME.ERROR, 5);
      expect(c.of(FRAME.ERROR)[4]!.code).toBe(RELAY_ERROR.FORBIDDEN);
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(mutedGroup, epoch, 0, 256, me) });
      await c.waitCount((f) => f.type === FRAME.ERROR, 6);
      expect(c.of(FRAME.ERROR)[5]!.code).toBe(RELAY_ERROR.MALFORMED);
      c.send({ type: FRAME.SEND, clientMessageId: cid(), groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0, 256, me) });
      await c.waitFor((f) => f.type === FRAME.SEND_OK);
      c.close();
    });
  });
});
