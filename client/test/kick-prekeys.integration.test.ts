// A kick boxes the fresh epoch secret to the signed prekeys of the remaining members. The
// committer fetches them in batches (POST /v1/groups/{g}/prekey-bundles, nothing consumed),
// verifies every bundle, and caches them. A relay that lies in that answer gets no commit.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../crypto/src/bytes';
import { createPrekeyStore, prekeyBundleOf } from '../../crypto/src/identity/prekeys';
import { decodePrekeyBundlesResponse, encodePrekeyBundlesResponse, type PrekeyBundlesItem } from '../../crypto/src/wire/http-bodies';
import { decodePrekeyBundle, encodePrekeyBundle } from '../../crypto/src/wire/identity';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import { nodePlatform } from '../src/net/node-platform';
import type { HttpResponse, Platform } from '../src/net/types';
import { createChatClient, type ChatClient } from '../src/sdk/chat-client';
import { createMemoryStore } from '../src/store/memory-store';
import { codeOf, p, until } from './helpers';

interface Node {
  client: ChatClient;
  /** "METHOD /path" of every HTTP request, in order. */
  requests: string[];
  /** Rewrites the relay's answer to a prekey-bundles request (a hostile relay). */
  rewriteBundles: ((items: PrekeyBundlesItem[]) => PrekeyBundlesItem[]) | null;
}

let relay: TestRelay | undefined;
const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.client.close().catch(() => undefined);
  await relay?.cleanup();
  relay = undefined;
});

async function node(): Promise<Node> {
  const base = nodePlatform();
  const n: Node = { client: undefined as unknown as ChatClient, requests: [], rewriteBundles: null };
  const platform: Platform = {
    ...base,
    async request(req) {
      const res: HttpResponse = await base.request(req);
      const path = new URL(req.url).pathname;
      n.requests.push(`${req.method} ${path}`);
      if (n.rewriteBundles && path.endsWith('/prekey-bundles') && res.status === 200) {
        return { ...res, body: encodePrekeyBundlesResponse(n.rewriteBundles(decodePrekeyBundlesResponse(res.body))) };
      }
      return res;
    },
  };
  n.client = await createChatClient({ platform, primitives: p, store: createMemoryStore(), relayUrl: relay!.httpUrl, engine: { autoCommitJitterMs: 0 } });
  await n.client.start();
  await n.client.whenReady(10_000);
  nodes.push(n);
  return n;
}

/**
 * alice (owner) adds `others` members; the first of them becomes an admin, the kicker. Its
 * cache is empty (alice claimed everyone's prekeys to invite them, the admin never did).
 */
async function group(others: number): Promise<{ g: Uint8Array; admin: Node; rest: Node[] }> {
  relay = await startTestRelay();
  const alice = await node();
  const rest: Node[] = [];
  for (let i = 0; i < others; i++) rest.push(await node());
  const g = await alice.client.createGroup({ name: 'g' });
  for (const m of rest) {
    await alice.client.invite(g, m.client.memberId);
    await m.client.waitForGroup(g);
  }
  const admin = rest.shift()!;
  await alice.client.setRole(g, admin.client.memberId, 'admin');
  const epoch = alice.client.group(g)!.epoch;
  for (const m of [admin, ...rest]) await until('everyone at the epoch', () => m.client.group(g)?.epoch === epoch);
  return { g, admin, rest: [alice, ...rest] };
}

const bundleRequests = (n: Node) => n.requests.filter((r) => r.endsWith('/prekey-bundles')).length;
const claims = (n: Node) => n.requests.filter((r) => r.endsWith('/prekey-claim')).length;
const memberHexes = (n: Node, g: Uint8Array) => n.client.group(g)!.members.map((m) => bytesToHex(m.memberId));

describe('kick: prekeys of the remaining members', () => {
  it('are fetched in one request that consumes no one-time prekey, open for every remaining member, and are reused by the next kick', async () => {
    const { g, admin: alice, rest } = await group(5);
    const [bob, carol, dave, erin] = rest as [Node, Node, Node, Node]; // bob: the owner
    alice.requests.length = 0;
    await alice.client.kick(g, erin.client.memberId);
    expect(bundleRequests(alice)).toBe(1);
    expect(claims(alice)).toBe(0);
    const epoch = alice.client.group(g)!.epoch;
    for (const m of [bob, carol, dave]) await until('the envelope opens', () => m.client.group(g)?.epoch === epoch);
    await until('erin removed', () => erin.client.group(g)?.status === 'removed');

    alice.requests.length = 0;
    await alice.client.kick(g, dave.client.memberId);
    expect(bundleRequests(alice)).toBe(0);
    expect(claims(alice)).toBe(0);
    const epoch2 = alice.client.group(g)!.epoch;
    for (const m of [bob, carol]) await until('the envelope opens', () => m.client.group(g)?.epoch === epoch2);

    // No one-time prekey was used by either kick: bob's are all still there to claim.
    const published = [];
    for (let i = 0; i < 3; i++) published.push(decodePrekeyBundle((await alice.client.relay.api.claimPrekey(bob.client.memberId))!).oneTimePrekey !== null);
    expect(published).toEqual([true, true, true]);
  });

  it('RelayApi.fetchPrekeyBundles: IDs in any order; caller bugs (none, over 100, a duplicate, a short ID) are RangeError before any request', async () => {
    const { g, admin, rest } = await group(3);
    const ids = rest.map((m) => m.client.memberId).reverse();
    const items = await admin.client.relay.api.fetchPrekeyBundles(g, ids);
    expect(items.map((it) => bytesToHex(it.memberId))).toEqual(ids.map((x) => bytesToHex(x)).sort());
    admin.requests.length = 0;
    for (const bad of [[], Array.from({ length: 101 }, () => p.randomBytes(32)), [ids[0]!, ids[0]!], [new Uint8Array(31)]]) {
      await expect(admin.client.relay.api.fetchPrekeyBundles(g, bad)).rejects.toThrow(RangeError);
    }
    expect(admin.requests).toEqual([]);
  });

  // Each case: what the relay does to the answer, and the code the kick must fail with.
  const ATTACKS: [string, (items: PrekeyBundlesItem[], victim: Uint8Array) => PrekeyBundlesItem[], string][] = [
    [
      "another identity's bundle under a member's ID",
      (items, victim) => {
        const seed = p.randomBytes(32);
        const forged = prekeyBundleOf(p, seed, createPrekeyStore(p, Date.now()));
        return items.map((it) => (bytesToHex(it.memberId) === bytesToHex(victim) ? { ...it, bundle: forged } : it));
      },
      'E2E_ERR_SDK_IDENTITY_MISMATCH',
    ],
    [
      'a substituted signed prekey (the signature no longer covers it)',
      (items, victim) =>
        items.map((it) => {
          if (bytesToHex(it.memberId) !== bytesToHex(victim)) return it;
          const b = decodePrekeyBundle(it.bundle);
          return { ...it, bundle: encodePrekeyBundle({ ...b, signedPrekey: { ...b.signedPrekey, publicKey: p.x25519PublicKey(p.randomBytes(32)) } }) };
        }),
      'E2E_ERR_BAD_SIGNATURE',
    ],
    ['a member left out', (items, victim) => items.filter((it) => bytesToHex(it.memberId) !== bytesToHex(victim)), 'E2E_ERR_SDK_NO_PREKEY'],
    [
      'a bundle carrying a one-time prekey',
      (items, victim) =>
        items.map((it) => {
          if (bytesToHex(it.memberId) !== bytesToHex(victim)) return it;
          const b = decodePrekeyBundle(it.bundle);
          return { ...it, bundle: encodePrekeyBundle({ ...b, oneTimePrekey: { id: 1, publicKey: b.signedPrekey.publicKey, signature: b.signedPrekey.signature } }) };
        }),
      'E2E_ERR_SDK_NO_PREKEY',
    ],
    [
      'a member that was not asked for',
      (items) => [...items, { memberId: new Uint8Array(32).fill(0xff), bundle: items[0]!.bundle }],
      'E2E_ERR_NET_BAD_RESPONSE',
    ],
    ['a bundle that does not decode', (items) => items.map((it) => ({ ...it, bundle: concatBytes(it.bundle, Uint8Array.of(0)) })), 'E2E_ERR_MALFORMED'],
  ];

  for (const [name, rewrite, code] of ATTACKS) {
    it(`a relay answering ${name}: the kick fails with ${code}, nothing is committed, and an honest answer then works`, async () => {
      const { g, admin: alice, rest } = await group(4);
      const [bob, carol, dave] = rest as [Node, Node, Node]; // bob: the owner
      const before = { epoch: alice.client.group(g)!.epoch, members: memberHexes(alice, g) };
      alice.rewriteBundles = (items) => rewrite(items, bob.client.memberId);
      expect(await codeOf(alice.client.kick(g, dave.client.memberId))).toBe(code);
      expect(alice.client.group(g)!.epoch).toBe(before.epoch);
      expect(memberHexes(alice, g)).toEqual(before.members);
      // The relay's log did not move either: carol, who syncs from it, is still at the old epoch with dave in it.
      await carol.client.groupEngine.syncLog(g);
      expect(carol.client.group(g)!.epoch).toBe(before.epoch);
      expect(memberHexes(carol, g)).toContain(dave.client.memberIdHex);

      alice.rewriteBundles = null;
      await alice.client.kick(g, dave.client.memberId);
      const epoch = alice.client.group(g)!.epoch;
      for (const m of [bob, carol]) await until('the envelope opens', () => m.client.group(g)?.epoch === epoch);
    });
  }
});
