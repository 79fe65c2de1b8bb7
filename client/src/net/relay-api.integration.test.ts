// The HTTP API against the real relay (temp SQLite, loopback): every route, refusals with
// their relay names, and automatic re-login when the token expires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { verifyPrekeyBundle } from '../../../crypto/src/wire/identity';
import { startTestRelay, type TestRelay } from '../../../relay/test/helpers/relay';
import { isRelayRefusal } from './errors';
import { nodePlatform } from './node-platform';
import { createRelayApi } from './relay-api';
import { createRelayClient, type RelayClient } from './relay-client';
import { makeDevice, prekeyUploadOf, twoMemberGroup, type TestDevice } from './test/fixtures';
import type { RelayApi } from './types';

let p: Primitives;
let relay: TestRelay;
let skewMs = 0;
const platform = nodePlatform();

beforeAll(async () => {
  p = await loadDefaultPrimitives(nodeRandom);
  relay = await startTestRelay({}, undefined, { now: () => Date.now() + skewMs });
});
afterAll(async () => {
  await relay?.cleanup();
});

function clientOf(d: TestDevice): RelayClient & { logins: () => number } {
  let logins = 0;
  const c = createRelayClient({ platform, httpUrl: relay.httpUrl, identityKey: d.id.publicKey, sign: (ch) => (logins++, d.sign(ch)) });
  return Object.assign(c, { logins: () => logins });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; relayError: string; status: number }> {
  try {
    await promise;
  } catch (e) {
    if (isRelayRefusal(e)) return { code: e.code, relayError: e.relayError, status: e.status };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('relay API against the real relay', () => {
  it('logs in, publishes and claims prekeys, creates a group, appends, pages the log and messages', async () => {
    const alice = makeDevice(p);
    const bob = makeDevice(p, 1);
    const a = clientOf(alice);
    const b = clientOf(bob);
    const session = await a.sessions.ensure();
    expect(equalBytes(session.memberId, alice.id.memberId)).toBe(true);
    // Counted from the challenge's issue time: the TTL plus the time between challenge and session.
    expect(session.lifetimeMs).toBeGreaterThanOrEqual(3600_000);
    expect(session.lifetimeMs).toBeLessThan(3600_000 + 5000);

    await b.api.uploadPrekeys(prekeyUploadOf(p, bob));
    const g = await twoMemberGroup(p, a.api, alice, bob);
    // Bob's one one-time prekey went into the add; the next claim has only the signed prekey.
    const again = await a.api.claimPrekey(bob.id.memberId);
    expect(verifyPrekeyBundle(p, again!).oneTimePrekey).toBeNull();
    expect(await a.api.claimPrekey(makeDevice(p).id.memberId)).toBeNull();

    // Bob sees the log from his join: the add entry with his envelope, nothing earlier.
    const page = await b.api.fetchLog(g.groupId, 0, 10);
    expect(page.items.map((i) => i.index)).toEqual([1]);
    expect(equalBytes(page.items[0]!.entry, g.added.entry)).toBe(true);
    expect(page.items[0]!.envelope.length).toBeGreaterThan(0);
    expect(page.more).toBe(false);
    const msgs = await b.api.fetchMessages(g.groupId, 0, 10);
    expect(msgs.items).toEqual([]);
    expect(a.logins()).toBe(1);
    expect(b.logins()).toBe(1);
  });

  it('surfaces refusals with their relay name and status', async () => {
    const alice = makeDevice(p);
    const bob = makeDevice(p, 1);
    const a = clientOf(alice);
    const b = clientOf(bob);
    await b.api.uploadPrekeys(prekeyUploadOf(p, bob));
    const g = await twoMemberGroup(p, a.api, alice, bob);

    // A lost compare-and-swap: the add again on the old head.
    const lost = await refusal(a.api.appendLog(g.groupId, { expectedHead: g.created.state.public.headHash, entry: g.added.entry, envelopes: g.added.envelopes }));
    expect(lost).toEqual({ code: 'E2E_ERR_RELAY_HEAD_MISMATCH', relayError: 'HEAD_MISMATCH', status: 409 });
    // Duplicate create.
    const dup = await refusal(a.api.createGroup({ expectedHead: new Uint8Array(32), entry: g.created.entry, envelopes: [] }));
    expect(dup.relayError).toBe('CONFLICT');
    // A stranger reading the group.
    const eve = clientOf(makeDevice(p));
    expect((await refusal(eve.api.fetchMessages(g.groupId, 0, 10))).relayError).toBe('NOT_MEMBER');
    // Bob is a plain member under an approval policy: no invites.
    const forbidden = await refusal(b.api.createInvite(g.groupId, { expiresAt: Date.now() + 60_000, maxUses: 1 }));
    expect(forbidden).toEqual({ code: 'E2E_ERR_RELAY_FORBIDDEN', relayError: 'FORBIDDEN', status: 403 });
    expect((await refusal(a.api.downloadBlob(new Uint8Array(16)))).relayError).toBe('NOT_FOUND');
    // Caller bugs are TypeError/RangeError before any request.
    await expect(a.api.fetchLog(g.groupId, 0, 0)).rejects.toThrow(RangeError);
    await expect(a.api.claimPrekey(new Uint8Array(31))).rejects.toThrow(RangeError);
  });

  it('invites, join requests and blobs round-trip', async () => {
    const alice = makeDevice(p);
    const bob = makeDevice(p, 1);
    const a = clientOf(alice);
    const b = clientOf(bob);
    await b.api.uploadPrekeys(prekeyUploadOf(p, bob));
    const g = await twoMemberGroup(p, a.api, alice, bob);

    const inviteId = await a.api.createInvite(g.groupId, { expiresAt: Date.now() + 60_000, maxUses: 1 });
    expect(inviteId.length).toBe(16);
    const carol = clientOf(makeDevice(p));
    const requestId = await carol.api.requestJoin(inviteId, Uint8Array.of(1, 2, 3));
    const list = await a.api.listJoinRequests(g.groupId, 0, 10);
    expect(list.map((r) => [r.requestId, bytesToHex(r.inviteId), [...r.body]])).toEqual([[requestId, bytesToHex(inviteId), [1, 2, 3]]]);
    expect((await refusal(carol.api.requestJoin(inviteId, Uint8Array.of(4)))).relayError).toBe('EXPIRED');
    await a.api.deleteJoinRequest(g.groupId, requestId);
    expect(await a.api.listJoinRequests(g.groupId, 0, 10)).toEqual([]);
    expect((await refusal(a.api.deleteJoinRequest(g.groupId, requestId))).relayError).toBe('NOT_FOUND');

    const blob = p.randomBytes(100_000);
    const blobId = await b.api.uploadBlob(g.groupId, blob);
    expect(equalBytes(await a.api.downloadBlob(blobId), blob)).toBe(true);
    // A client with a smaller download cap refuses the blob before decoding anything.
    const small = createRelayApi(platform, relay.httpUrl, () => a.sessions.current(), { maxBlobBytes: 1000 });
    await expect(small.downloadBlob(blobId)).rejects.toMatchObject({ code: 'E2E_ERR_NET_BAD_RESPONSE' });
  });

  it('logs in again once when the relay says the token expired, and retries the request', async () => {
    const alice = makeDevice(p);
    const a = clientOf(alice);
    await a.api.uploadPrekeys(prekeyUploadOf(p, alice));
    expect(a.logins()).toBe(1);
    // The relay's clock jumps past the token lifetime (and stays there: its rate limiters
    // must not see time run backwards).
    skewMs += 2 * 3600_000;
    await a.api.uploadPrekeys(prekeyUploadOf(p, alice));
    expect(a.logins()).toBe(2);
    // The new session counts its lifetime on the local clock, so it is reused.
    await a.api.uploadPrekeys(prekeyUploadOf(p, alice));
    expect(a.logins()).toBe(2);
  });

  it('without a way to log in, an authenticated call rejects as UNAUTHENTICATED', async () => {
    const bare: RelayApi = createRelayApi(platform, relay.httpUrl, () => undefined);
    const e = await bare.fetchLog(new Uint8Array(16), 0, 1).catch((x: unknown) => x);
    expect(isE2eeError(e, 'E2E_ERR_RELAY_UNAUTHENTICATED')).toBe(true);
  });

  it('opts in to and out of notifications', async () => {
    const a = clientOf(makeDevice(p));
    await a.api.subscribeNotifications(Uint8Array.of(1, 2, 3));
    await a.api.unsubscribeNotifications();
    await a.api.unsubscribeNotifications(); // idempotent
    await expect(a.api.subscribeNotifications(new Uint8Array(257))).rejects.toThrow(RangeError);
    const off = await startTestRelay({ notifier: 'none' });
    try {
      const d = makeDevice(p);
      const onOff = createRelayClient({ platform, httpUrl: off.httpUrl, identityKey: d.id.publicKey, sign: d.sign });
      expect((await refusal(onOff.api.subscribeNotifications(Uint8Array.of(1)))).relayError).toBe('NOT_FOUND');
    } finally {
      await off.cleanup();
    }
  });

  it('refuses to sign a challenge for another relay audience', async () => {
    const d = makeDevice(p);
    let signed = 0;
    const api = createRelayApi(platform, relay.httpUrl, () => undefined, { audience: 'chat.example.cn' });
    const e = await api.login(d.id.publicKey, (c) => (signed++, d.sign(c))).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E2E_ERR_RELAY_AUTH_FAILED' });
    expect(signed).toBe(0);
  });
});
