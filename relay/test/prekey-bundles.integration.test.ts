// POST /v1/groups/{groupId}/prekey-bundles on a real relay, on every test store: a member
// gets the signed prekey bundles of members of its group in one request, nothing is
// consumed, and everyone else (outsiders, kicked members, questions about non-members,
// junk, oversize lists, floods) is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../crypto/src/bytes';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../crypto/src/identity/prekeys';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import {
  decodePrekeyBundlesResponse,
  encodePrekeyBundlesRequest,
  encodePrekeyUpload,
  MAX_PREKEY_BUNDLES_PER_REQUEST,
} from '../../crypto/src/wire/http-bodies';
import { signPrekey, verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { append, http, login } from './helpers/client';
import { buildAdd, buildCreate, buildRemove, makeDevice, type Device } from './helpers/log';
import { startTestRelay, type TestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';

const ZERO = new Uint8Array(32);
const ascending = (ids: Uint8Array[]) => [...ids].sort((a, b) => (bytesToHex(a) < bytesToHex(b) ? -1 : 1));

describe.each(TEST_STORES)('%s store', (kind) => {
  let p: Primitives;
  let relay: TestRelay;
  let owner: Device;
  let members: Device[];
  let silent: Device;
  let kicked: Device;
  let outsider: Device;
  const tokens = new Map<Device, Uint8Array>();
  const prekeys = new Map<Device, PrekeyStore>();
  let gid: string;

  const ask = (who: Device, memberIds: Uint8Array[], group = gid) =>
    http(relay.httpUrl, 'POST', `/v1/groups/${group}/prekey-bundles`, encodePrekeyBundlesRequest({ memberIds: ascending(memberIds) }), tokens.get(who));

  async function publish(d: Device, oneTime: number): Promise<void> {
    const store = createPrekeyStore(p, Date.now(), oneTime);
    prekeys.set(d, store);
    const oneTimePrekeys = store.oneTime.map((k) => {
      const s = signPrekey(p, d.seed, 'one-time', k.id, k.publicKey);
      return { id: k.id, key: Uint8Array.of(...s.publicKey, ...s.signature) };
    });
    const r = await http(relay.httpUrl, 'PUT', '/v1/prekeys', encodePrekeyUpload({ signedPrekey: prekeyBundleOf(p, d.seed, store), oneTimePrekeys }), tokens.get(d));
    expect(r.status).toBe(204);
  }

  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
    relay = await startTestRelay({ store: kind, bundleRatePerMinute: 20 });
    owner = makeDevice(p);
    members = [makeDevice(p), makeDevice(p), makeDevice(p)];
    silent = makeDevice(p); // a member that never published prekeys
    kicked = makeDevice(p);
    outsider = makeDevice(p);
    for (const d of [owner, ...members, kicked, outsider]) {
      tokens.set(d, (await login(relay.httpUrl, p, d)).token);
      await publish(d, 2);
    }
    tokens.set(silent, (await login(relay.httpUrl, p, silent)).token);
    const c = buildCreate(p, owner);
    expect((await append(relay.httpUrl, tokens.get(owner)!, null, ZERO, c.entry, [])).status).toBe(201);
    const add = buildAdd(p, owner, c.state, [...members, silent, kicked]);
    expect((await append(relay.httpUrl, tokens.get(owner)!, c.state.groupId, c.state.headHash, add.entry, add.envelopes)).status).toBe(200);
    const rm = buildRemove(p, owner, add.state, [kicked]);
    expect((await append(relay.httpUrl, tokens.get(owner)!, c.state.groupId, add.state.headHash, rm.entry, rm.envelopes)).status).toBe(200);
    gid = bytesToHex(c.state.groupId);
  });
  afterAll(async () => {
    await relay?.cleanup();
  });

  it('a member gets the signed bundles of the members asked for, ascending, verifiable, without one-time prekeys; one without prekeys is left out', async () => {
    const r = await ask(members[0]!, [owner.memberId, members[1]!.memberId, members[2]!.memberId, silent.memberId]);
    expect(r.status).toBe(200);
    const items = decodePrekeyBundlesResponse(r.bytes);
    const expected = ascending([owner.memberId, members[1]!.memberId, members[2]!.memberId]);
    expect(items.map((it) => bytesToHex(it.memberId))).toEqual(expected.map(bytesToHex));
    for (const it of items) {
      const dev = [owner, ...members].find((d) => equalBytes(d.memberId, it.memberId))!;
      const b = verifyPrekeyBundle(p, it.bundle);
      expect(b.oneTimePrekey).toBeNull();
      expect(equalBytes(b.identityKey, dev.identityKey)).toBe(true);
      expect(equalBytes(b.signedPrekey.publicKey, prekeys.get(dev)!.signed.publicKey)).toBe(true);
    }
  });

  it('consumes no one-time prekey: claims afterwards still hand out every one', async () => {
    for (let i = 0; i < 3; i++) expect((await ask(owner, [members[2]!.memberId])).status).toBe(200);
    const claimed = [];
    for (let i = 0; i < 3; i++) {
      const r = await http(relay.httpUrl, 'POST', `/v1/members/${bytesToHex(members[2]!.memberId)}/prekey-claim`, undefined, tokens.get(owner));
      claimed.push(verifyPrekeyBundle(p, r.bytes).oneTimePrekey?.id ?? null);
    }
    expect(claimed).toEqual([...prekeys.get(members[2]!)!.oneTime.map((k) => k.id), null]);
  });

  it('refuses an outsider and a kicked member (NOT_MEMBER), and an unknown group (UNKNOWN_GROUP)', async () => {
    for (const who of [outsider, kicked]) {
      const r = await ask(who, [owner.memberId]);
      expect(r.status).toBe(403);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_NOT_MEMBER');
    }
    const r = await ask(owner, [members[0]!.memberId], 'ab'.repeat(16));
    expect(r.status).toBe(404);
    expect(r.json?.error).toBe('E2E_ERR_RELAY_UNKNOWN_GROUP');
    const none = await http(relay.httpUrl, 'POST', `/v1/groups/${gid}/prekey-bundles`, encodePrekeyBundlesRequest({ memberIds: [owner.memberId] }));
    expect(none.status).toBe(401);
  });

  it('refuses a question about anyone not in the group: an outsider, a kicked member, an unknown ID (FORBIDDEN, nothing answered)', async () => {
    for (const target of [outsider.memberId, kicked.memberId, p.randomBytes(32)]) {
      const r = await ask(members[0]!, [owner.memberId, target]);
      expect(r.status).toBe(403);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_FORBIDDEN');
      expect(r.bytes.length).toBeLessThan(200);
    }
  });

  it('refuses junk, an empty list, duplicates, more than the cap (MALFORMED) and an oversize body (TOO_LARGE)', async () => {
    const post = (body: Uint8Array) => http(relay.httpUrl, 'POST', `/v1/groups/${gid}/prekey-bundles`, body, tokens.get(owner));
    const id = owner.memberId;
    const many = Array.from({ length: MAX_PREKEY_BUNDLES_PER_REQUEST + 1 }, () => p.randomBytes(32));
    const bodies = [
      new Uint8Array(0),
      Uint8Array.of(0, 0),
      Uint8Array.of(0, 2, ...id, ...id),
      Uint8Array.of(0, 1, ...id, 7),
      Uint8Array.of(0, 2, ...id),
      Uint8Array.of(0, many.length, ...ascending(many).flatMap((x) => [...x])).subarray(0, 2 + 32 * MAX_PREKEY_BUNDLES_PER_REQUEST),
    ];
    for (const body of bodies) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.json?.error).toBe('E2E_ERR_RELAY_MALFORMED');
    }
    const big = await post(Uint8Array.of(0, many.length, ...ascending(many).flatMap((x) => [...x])));
    expect(big.status).toBe(413);
    expect(big.json?.error).toBe('E2E_ERR_RELAY_TOO_LARGE');
  });

  it('is rate limited per identity (RATE_LIMITED once the bucket is empty)', async () => {
    const asker = members[1]!;
    let limited = null;
    for (let i = 0; i < 25 && !limited; i++) {
      const r = await ask(asker, [owner.memberId]);
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited?.json?.error).toBe('E2E_ERR_RELAY_RATE_LIMITED');
    // Another identity still gets answers.
    expect((await ask(members[2]!, [owner.memberId])).status).toBe(200);
  });
});
