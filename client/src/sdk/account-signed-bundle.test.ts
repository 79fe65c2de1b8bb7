// DeviceAccount.acceptSignedBundle: the signed bundles a committer fetches for a kick or a
// rotation are verified like claimed ones, cached in memory only, and never written.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity } from '../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf } from '../../../crypto/src/identity/prekeys';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../../crypto/src/primitives/select';
import { decodePrekeyBundle, encodePrekeyBundle } from '../../../crypto/src/wire/identity';
import { createMemoryBacking, createMemoryStore } from '../store/memory-store';
import { DeviceAccount, PEER_PREKEY_MAX_AGE_MS, type IdentityChange } from './account';

await loadBackends();
const p = primitivesFor('node', nodeRandom);

function peer() {
  const id = generateIdentity(p);
  const store = createPrekeyStore(p, 0, 1);
  return { id, signed: prekeyBundleOf(p, id.seed, store, null), withOneTime: prekeyBundleOf(p, id.seed, store, store.oneTime[0]!.id) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : e instanceof TypeError ? 'TypeError' : `other: ${String(e)}`;
  }
}

describe('DeviceAccount.acceptSignedBundle', () => {
  it('verifies and caches the bundle in memory for the peer-prekey window, writing nothing', async () => {
    const backing = createMemoryBacking();
    const store = createMemoryStore(backing);
    const a = await DeviceAccount.open(p, store, 0);
    const keysBefore = await store.keys('');
    const bob = peer();
    const b = await a.acceptSignedBundle(bob.id.memberId, bob.signed, 10);
    expect(bytesToHex(b.signedPrekey.publicKey)).toBe(bytesToHex(decodePrekeyBundle(bob.signed).signedPrekey.publicKey));
    expect(a.cachedBundle(bob.id.memberId, 10 + PEER_PREKEY_MAX_AGE_MS)).not.toBeNull();
    expect(a.cachedBundle(bob.id.memberId, 11 + PEER_PREKEY_MAX_AGE_MS)).toBeNull();
    expect(await store.keys('')).toEqual(keysBefore);
    // After a relaunch it is gone (fetched again when needed).
    const again = await DeviceAccount.open(p, createMemoryStore(backing), 20);
    expect(again.cachedBundle(bob.id.memberId, 20)).toBeNull();
  });

  it('the newer of a claimed (persisted) and a fetched bundle is the one used', async () => {
    const a = await DeviceAccount.open(p, createMemoryStore(), 0);
    const id = generateIdentity(p);
    const older = prekeyBundleOf(p, id.seed, createPrekeyStore(p, 0, 0), null);
    const newer = prekeyBundleOf(p, id.seed, createPrekeyStore(p, 0, 0), null);
    await a.acceptBundle(id.memberId, older, 10);
    await a.acceptSignedBundle(id.memberId, newer, 20);
    expect(bytesToHex(a.cachedBundle(id.memberId, 30)!.signedPrekey.publicKey)).toBe(bytesToHex(decodePrekeyBundle(newer).signedPrekey.publicKey));
    await a.acceptBundle(id.memberId, older, 40);
    expect(bytesToHex(a.cachedBundle(id.memberId, 50)!.signedPrekey.publicKey)).toBe(bytesToHex(decodePrekeyBundle(older).signedPrekey.publicKey));
  });

  it('refuses a bundle under the wrong member ID (identityChanged for a known peer), a bad signature, a one-time prekey and junk; caches none of them', async () => {
    const changes: IdentityChange[] = [];
    const a = await DeviceAccount.open(p, createMemoryStore(), 0, (c) => changes.push(c));
    const bob = peer();
    const mallory = peer();
    expect(await codeOf(a.acceptSignedBundle(bob.id.memberId, mallory.signed, 10))).toBe('E2E_ERR_SDK_IDENTITY_MISMATCH');
    await a.acceptBundle(bob.id.memberId, bob.signed, 10);
    expect(await codeOf(a.acceptSignedBundle(bob.id.memberId, mallory.signed, 20))).toBe('E2E_ERR_SDK_IDENTITY_MISMATCH');
    expect(changes.length).toBeGreaterThanOrEqual(1);

    const carol = peer();
    const decoded = decodePrekeyBundle(carol.signed);
    const forged = encodePrekeyBundle({ ...decoded, signedPrekey: { ...decoded.signedPrekey, publicKey: p.x25519PublicKey(p.randomBytes(32)) } });
    expect(await codeOf(a.acceptSignedBundle(carol.id.memberId, forged, 10))).toBe('E2E_ERR_BAD_SIGNATURE');
    expect(await codeOf(a.acceptSignedBundle(carol.id.memberId, carol.withOneTime, 10))).toBe('TypeError');
    expect(await codeOf(a.acceptSignedBundle(carol.id.memberId, carol.signed.subarray(0, 40), 10))).toBe('E2E_ERR_MALFORMED');
    expect(a.cachedBundle(carol.id.memberId, 10)).toBeNull();
    expect(bytesToHex(a.cachedBundle(bob.id.memberId, 20)!.identityKey)).toBe(bytesToHex(bob.id.publicKey));
  });
});
