import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity } from '../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf } from '../../../crypto/src/identity/prekeys';
import { SIGNED_PREKEY_RETENTION_MS } from '../../../crypto/src/limits';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../../crypto/src/primitives/select';
import { decodePrekeyUpload, encodePrekeyUpload } from '../../../crypto/src/wire/http-bodies';
import { createMemoryBacking, createMemoryStore } from '../store/memory-store';
import { DeviceAccount, IDENTITY_KEY, ONE_TIME_PREKEY_TARGET, PEER_PREKEY_MAX_AGE_MS, SIGNED_PREKEY_ROTATE_MS, type IdentityChange } from './account';

await loadBackends();
const p = primitivesFor('node', nodeRandom);

function peerBundle() {
  const id = generateIdentity(p);
  return { id, bytes: prekeyBundleOf(p, id.seed, createPrekeyStore(p, 0, 1), null) };
}

describe('DeviceAccount', () => {
  it('creates the identity once and reloads the same one and the same prekeys', async () => {
    const backing = createMemoryBacking();
    const a = await DeviceAccount.open(p, createMemoryStore(backing), 1000);
    const b = await DeviceAccount.open(p, createMemoryStore(backing), 5000);
    expect(bytesToHex(b.memberId)).toBe(bytesToHex(a.memberId));
    expect(b.prekeys.signed.id).toBe(a.prekeys.signed.id);
    expect(b.prekeys.oneTime.length).toBe(ONE_TIME_PREKEY_TARGET);
    const other = await DeviceAccount.open(p, createMemoryStore(), 1000);
    expect(bytesToHex(other.memberId)).not.toBe(bytesToHex(a.memberId));
  });

  it('a corrupt identity record is E2E_ERR_SDK_STATE_CORRUPT, not a new identity', async () => {
    const store = createMemoryStore();
    await store.put(IDENTITY_KEY, Uint8Array.of(1, 2, 3));
    let code = 'ok';
    try {
      await DeviceAccount.open(p, store, 0);
    } catch (e) {
      code = isE2eeError(e) ? e.code : 'other';
    }
    expect(code).toBe('E2E_ERR_SDK_STATE_CORRUPT');
  });

  it('uploads everything once, nothing while up to date, tops up one-time prekeys and rotates the signed prekey when due', async () => {
    const backing = createMemoryBacking();
    const a = await DeviceAccount.open(p, createMemoryStore(backing), 0);
    const first = (await a.maintain(1))!;
    expect(first.upload.signedPrekey.length).toBeGreaterThan(0);
    expect(first.upload.oneTimePrekeys.length).toBe(ONE_TIME_PREKEY_TARGET);
    expect(decodePrekeyUpload(encodePrekeyUpload(first.upload)).oneTimePrekeys.length).toBe(ONE_TIME_PREKEY_TARGET);
    await first.commit();
    expect(await a.maintain(2)).toBeNull();
    // The record of what was published survives a reload.
    const reloaded = await DeviceAccount.open(p, createMemoryStore(backing), 3);
    expect(await reloaded.maintain(3)).toBeNull();

    // Welcomes used most one-time prekeys: top up, upload only the new ones.
    await a.savePrekeys({ ...a.prekeys, oneTime: a.prekeys.oneTime.slice(-10) });
    const top = (await a.maintain(4))!;
    expect(top.upload.signedPrekey.length).toBe(0);
    expect(top.upload.oneTimePrekeys.length).toBe(ONE_TIME_PREKEY_TARGET / 2);
    await top.commit();

    const signedBefore = a.prekeys.signed.id;
    const rot = (await a.maintain(SIGNED_PREKEY_ROTATE_MS + 10))!;
    expect(a.prekeys.signed.id).not.toBe(signedBefore);
    expect(a.prekeys.previous?.id).toBe(signedBefore);
    expect(rot.upload.signedPrekey.length).toBeGreaterThan(0);
    await rot.commit();
    // The retired key is deleted after its retention window (and the current one, now old, rotates in turn).
    const retiredId = a.prekeys.previous!.id;
    const rotatedId = a.prekeys.signed.id;
    await a.maintain(SIGNED_PREKEY_ROTATE_MS + 10 + SIGNED_PREKEY_RETENTION_MS + 1);
    expect(a.prekeys.previous?.id).toBe(rotatedId);
    expect(a.prekeys.previous?.id).not.toBe(retiredId);
  });

  it('trust on first use: a bundle for a member ID with another identity key raises identityChanged and is refused', async () => {
    const changes: IdentityChange[] = [];
    const a = await DeviceAccount.open(p, createMemoryStore(), 0, (c) => changes.push(c));
    const bob = peerBundle();
    const mallory = peerBundle();
    const accepted = await a.acceptBundle(bob.id.memberId, bob.bytes, 10);
    expect(bytesToHex(accepted.identityKey)).toBe(bytesToHex(bob.id.publicKey));
    expect(a.cachedBundle(bob.id.memberId, 10 + PEER_PREKEY_MAX_AGE_MS)).not.toBeNull();
    expect(a.cachedBundle(bob.id.memberId, 11 + PEER_PREKEY_MAX_AGE_MS)).toBeNull();
    let code = 'ok';
    try {
      await a.acceptBundle(bob.id.memberId, mallory.bytes, 20);
    } catch (e) {
      code = isE2eeError(e) ? e.code : 'other';
    }
    expect(code).toBe('E2E_ERR_SDK_IDENTITY_MISMATCH');
    expect(changes).toHaveLength(1);
    expect(bytesToHex(changes[0]!.memberId)).toBe(bytesToHex(bob.id.memberId));
    expect(bytesToHex(changes[0]!.seen)).toBe(bytesToHex(mallory.id.publicKey));
    // The safety number is symmetric.
    const b = await DeviceAccount.open(p, createMemoryStore(), 0);
    expect(a.safetyNumberWith(b.identity.publicKey)).toBe(b.safetyNumberWith(a.identity.publicKey));
    expect(a.safetyNumberWith(b.identity.publicKey)).toMatch(/^\d{60}$/);
  });
});
