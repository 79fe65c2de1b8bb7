// The device account: one Ed25519 identity per device (created once, persisted), its
// prekey store (signed prekey rotated, one-time prekeys replenished), and what it has
// learnt about other members' identity keys (trust on first use) and signed prekeys.
//
// Store keys (docs/CLIENT-SDK.md "Persistence layout"):
//   sdk/device/identity   u8 version(=1) || seed[32]
//   sdk/device/prekeys    encodePrekeyStore (crypto/src/identity/prekeys.ts)
//   sdk/device/published  u8 version(=1) || u32 signedId || u32 highestOneTimeId   (what the relay has)
//   sdk/peer/<memberHex>  u8 version(=1) || identityKey[32] || u64 firstSeen || u64 bundleAt || u16 n || bundle[n]
import { bytesToHex, equalBytes, wipe } from '../../../crypto/src/bytes';
import { E2eeError, isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity, identityFromSeed, type DeviceIdentity } from '../../../crypto/src/identity/identity';
import { memberIdOf } from '../../../crypto/src/identity/member-id';
import {
  addOneTimePrekeys,
  createPrekeyStore,
  decodePrekeyStore,
  encodePrekeyStore,
  expireRetiredPrekey,
  prekeyBundleOf,
  rotateSignedPrekey,
  type PrekeyStore,
} from '../../../crypto/src/identity/prekeys';
import { safetyNumber } from '../../../crypto/src/identity/safety-number';
import { MAX_ONE_TIME_PREKEYS, SIGNED_PREKEY_RETENTION_MS } from '../../../crypto/src/limits';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import type { PrekeyUpload } from '../../../crypto/src/wire/http-bodies';
import { decodePrekeyBundle, signPrekey, verifyPrekeyBundle, type PrekeyBundle } from '../../../crypto/src/wire/identity';
import { createSerial } from '../store/serial';
import type { LocalStore } from '../store/types';
import { SDK_IDENTITY_MISMATCH, SDK_STATE_CORRUPT, sdkError } from './errors';

export const IDENTITY_KEY = 'sdk/device/identity';
export const PREKEYS_KEY = 'sdk/device/prekeys';
export const PUBLISHED_KEY = 'sdk/device/published';
export const PEER_PREFIX = 'sdk/peer/';

/** One-time prekeys kept published; replenished when fewer than half remain unused locally. */
export const ONE_TIME_PREKEY_TARGET = 100;
/** A signed prekey older than this is rotated (the old one is kept for SIGNED_PREKEY_RETENTION_MS). */
export const SIGNED_PREKEY_ROTATE_MS = 2 * 24 * 60 * 60 * 1000;
/**
 * A cached signed prekey of another member is used for remove/rotate envelopes while younger
 * than this: the member rotates every SIGNED_PREKEY_ROTATE_MS and keeps the old key for
 * SIGNED_PREKEY_RETENTION_MS, so a key fetched within this window still opens.
 */
export const PEER_PREKEY_MAX_AGE_MS = SIGNED_PREKEY_RETENTION_MS - SIGNED_PREKEY_ROTATE_MS;

export interface PeerRecord {
  identityKey: Uint8Array;
  firstSeen: number;
  /** Last prekey bundle claimed for this member (signed prekey used for envelopes), or null. */
  bundle: Uint8Array | null;
  bundleAt: number;
}

export interface IdentityChange {
  memberId: Uint8Array;
  known: Uint8Array;
  seen: Uint8Array;
}

function corrupt(what: string, e?: unknown): E2eeError {
  return sdkError(SDK_STATE_CORRUPT, `${what} does not decode${isE2eeError(e) ? ` (${e.code})` : ''}`, 'openAccount');
}

export class DeviceAccount {
  private readonly serial = createSerial();
  private readonly peers = new Map<string, PeerRecord>();
  /** Signed bundles fetched for commits (acceptSignedBundle), in memory only. */
  private readonly fetchedBundles = new Map<string, { bundle: Uint8Array; at: number }>();
  private published: { signedId: number; highestOneTimeId: number };

  private constructor(
    private readonly p: Primitives,
    private readonly store: LocalStore,
    readonly identity: DeviceIdentity,
    private prekeyStore: PrekeyStore,
    published: { signedId: number; highestOneTimeId: number },
    /** Raised when a bundle for a known member ID carries another identity key. */
    private readonly onIdentityChanged: (c: IdentityChange) => void,
  ) {
    this.published = published;
  }

  /** Loads the device identity and prekeys, creating them on first use. */
  static async open(
    p: Primitives,
    store: LocalStore,
    now: number,
    onIdentityChanged: (c: IdentityChange) => void = () => undefined,
  ): Promise<DeviceAccount> {
    let identity: DeviceIdentity;
    const idBytes = await store.get(IDENTITY_KEY);
    if (idBytes) {
      try {
        const r = new WireReader(idBytes, 'device identity');
        if (r.u8('version') !== 1) r.fail('version', 'unsupported');
        const seed = r.fixed('seed', 32);
        r.end();
        identity = identityFromSeed(p, seed);
        wipe(seed);
      } catch (e) {
        throw corrupt('the device identity', e);
      }
    } else {
      identity = generateIdentity(p);
      await store.put(IDENTITY_KEY, new WireWriter(33).u8(1).fixed(identity.seed, 32).finish());
    }
    let prekeys: PrekeyStore;
    const pkBytes = await store.get(PREKEYS_KEY);
    if (pkBytes) {
      try {
        prekeys = decodePrekeyStore(p, pkBytes);
      } catch (e) {
        throw corrupt('the prekey store', e);
      }
    } else {
      prekeys = createPrekeyStore(p, now, ONE_TIME_PREKEY_TARGET);
      await store.put(PREKEYS_KEY, encodePrekeyStore(prekeys));
    }
    let published = { signedId: 0, highestOneTimeId: 0 };
    const pubBytes = await store.get(PUBLISHED_KEY);
    if (pubBytes) {
      try {
        const r = new WireReader(pubBytes, 'published prekeys');
        if (r.u8('version') !== 1) r.fail('version', 'unsupported');
        published = { signedId: r.u32('signedId'), highestOneTimeId: r.u32('highestOneTimeId') };
        r.end();
      } catch (e) {
        throw corrupt('the published-prekey record', e);
      }
    }
    const account = new DeviceAccount(p, store, identity, prekeys, published, onIdentityChanged);
    for (const key of await store.keys(PEER_PREFIX)) {
      const bytes = await store.get(key);
      if (!bytes) continue;
      try {
        const r = new WireReader(bytes, 'peer record');
        if (r.u8('version') !== 1) r.fail('version', 'unsupported');
        const identityKey = r.fixed('identityKey', 32);
        const firstSeen = r.u64('firstSeen');
        const bundleAt = r.u64('bundleAt');
        const bundle = r.bytes16('bundle', 4096);
        r.end();
        if (bytesToHex(memberIdOf(p, identityKey)) !== key.slice(PEER_PREFIX.length)) r.fail('identityKey', 'not the member ID of the key');
        account.peers.set(key.slice(PEER_PREFIX.length), { identityKey, firstSeen, bundle: bundle.length ? bundle : null, bundleAt });
      } catch (e) {
        throw corrupt('a peer record', e);
      }
    }
    return account;
  }

  get memberId(): Uint8Array {
    return this.identity.memberId;
  }

  get prekeys(): PrekeyStore {
    return this.prekeyStore;
  }

  /** Persists a prekey store returned by the private fold (a one-time prekey was used). */
  savePrekeys(next: PrekeyStore): Promise<void> {
    return this.serial(async () => {
      if (next === this.prekeyStore) return;
      await this.store.put(PREKEYS_KEY, encodePrekeyStore(next));
      this.prekeyStore = next;
    });
  }

  /** Signs a relay login challenge. */
  signChallenge = (sign: (seed: Uint8Array) => Uint8Array): Uint8Array => sign(this.identity.seed);

  /**
   * Housekeeping before an upload: rotates the signed prekey when due, drops the retired one
   * after its retention, and tops up one-time prekeys. Returns the upload that brings the
   * relay up to date, or null when it already is.
   */
  maintain(now: number): Promise<{ upload: PrekeyUpload; commit: () => Promise<void> } | null> {
    return this.serial(async () => {
      let next = expireRetiredPrekey(this.prekeyStore, now);
      if (now - next.signedCreatedAt >= SIGNED_PREKEY_ROTATE_MS) next = rotateSignedPrekey(this.p, next, now);
      const unpublished = next.oneTime.filter((k) => k.id > this.published.highestOneTimeId).length;
      const live = next.oneTime.length;
      if (live < ONE_TIME_PREKEY_TARGET / 2 || (live === 0 && unpublished === 0)) {
        // Make room: the oldest one-time keys were most likely claimed and never used.
        if (live + ONE_TIME_PREKEY_TARGET / 2 > MAX_ONE_TIME_PREKEYS) {
          next = { ...next, oneTime: next.oneTime.slice(live + ONE_TIME_PREKEY_TARGET / 2 - MAX_ONE_TIME_PREKEYS) };
        }
        next = addOneTimePrekeys(this.p, next, ONE_TIME_PREKEY_TARGET / 2);
      }
      if (next !== this.prekeyStore) {
        await this.store.put(PREKEYS_KEY, encodePrekeyStore(next));
        this.prekeyStore = next;
      }
      const signedChanged = next.signed.id !== this.published.signedId;
      const fresh = next.oneTime.filter((k) => k.id > this.published.highestOneTimeId);
      if (!signedChanged && fresh.length === 0) return null;
      const upload: PrekeyUpload = {
        signedPrekey: signedChanged ? prekeyBundleOf(this.p, this.identity.seed, next, null) : new Uint8Array(0),
        oneTimePrekeys: fresh.map((k) => {
          const s = signPrekey(this.p, this.identity.seed, 'one-time', k.id, k.publicKey);
          const key = new Uint8Array(96);
          key.set(s.publicKey);
          key.set(s.signature, 32);
          return { id: k.id, key };
        }),
      };
      const published = {
        signedId: next.signed.id,
        highestOneTimeId: Math.max(this.published.highestOneTimeId, ...fresh.map((k) => k.id)),
      };
      return {
        upload,
        commit: () =>
          this.serial(async () => {
            await this.store.put(PUBLISHED_KEY, new WireWriter(9).u8(1).u32(published.signedId).u32(published.highestOneTimeId).finish());
            this.published = published;
          }),
      };
    });
  }

  /** The known identity key of a member (first seen), or undefined. */
  peer(memberId: Uint8Array): PeerRecord | undefined {
    return this.peers.get(bytesToHex(memberId));
  }

  /**
   * Records an identity key seen for a member (trust on first use). The member ID is the hash
   * of the key, so a mismatch means someone (e.g. the relay) handed out a key that is not
   * this member's: raises identityChanged and throws SDK_IDENTITY_MISMATCH.
   */
  async observe(memberId: Uint8Array, identityKey: Uint8Array, now: number, bundle?: Uint8Array): Promise<void> {
    const hex = bytesToHex(memberId);
    const known = this.peers.get(hex);
    if (!equalBytes(memberIdOf(this.p, identityKey), memberId) || (known && !equalBytes(known.identityKey, identityKey))) {
      this.onIdentityChanged({ memberId: memberId.slice(), known: (known?.identityKey ?? new Uint8Array(32)).slice(), seen: identityKey.slice() });
      throw sdkError(SDK_IDENTITY_MISMATCH, 'an identity key does not belong to the member ID it was given for', 'observeIdentity');
    }
    if (known && !bundle) return;
    const rec: PeerRecord = known
      ? { ...known, ...(bundle ? { bundle: bundle.slice(), bundleAt: now } : {}) }
      : { identityKey: identityKey.slice(), firstSeen: now, bundle: bundle ? bundle.slice() : null, bundleAt: bundle ? now : 0 };
    await this.serial(async () => {
      const b = rec.bundle ?? new Uint8Array(0);
      await this.store.put(
        PEER_PREFIX + hex,
        new WireWriter(64 + b.length).u8(1).fixed(rec.identityKey, 32).u64(rec.firstSeen).u64(rec.bundleAt).bytes16(b, 4096).finish(),
      );
      this.peers.set(hex, rec);
    });
  }

  /** A claimed bundle, verified (signatures) and checked against the member ID asked for. */
  async acceptBundle(memberId: Uint8Array, bundleBytes: Uint8Array, now: number): Promise<PrekeyBundle> {
    const bundle = decodePrekeyBundle(bundleBytes);
    verifyPrekeyBundle(this.p, bundleBytes);
    await this.observe(memberId, bundle.identityKey, now, bundleBytes);
    return bundle;
  }

  /**
   * A signed bundle (no one-time prekey) fetched for a commit: verified and checked against
   * the member ID like acceptBundle, then cached in memory only (no store write per member
   * of a large group on a kick; after a relaunch it is fetched again). A known peer's
   * identity is checked as observe does; an unknown one is not recorded as a peer.
   */
  async acceptSignedBundle(memberId: Uint8Array, bundleBytes: Uint8Array, now: number): Promise<PrekeyBundle> {
    const bundle = decodePrekeyBundle(bundleBytes);
    if (bundle.oneTimePrekey) throw new TypeError('"bundleBytes" carries a one-time prekey; expected a signed bundle only');
    verifyPrekeyBundle(this.p, bundleBytes);
    const hex = bytesToHex(memberId);
    // observe throws (and reports) on a mismatch; it writes nothing without a bundle.
    if (this.peers.has(hex) || !equalBytes(memberIdOf(this.p, bundle.identityKey), memberId)) await this.observe(memberId, bundle.identityKey, now);
    this.fetchedBundles.set(hex, { bundle: bundleBytes.slice(), at: now });
    return bundle;
  }

  /** The cached bundle of a member if its signed prekey is recent enough to use. */
  cachedBundle(memberId: Uint8Array, now: number): PrekeyBundle | null {
    const hex = bytesToHex(memberId);
    const rec = this.peers.get(hex);
    const fetched = this.fetchedBundles.get(hex);
    const newest = fetched && (!rec?.bundle || fetched.at > rec.bundleAt) ? { bundle: fetched.bundle, at: fetched.at } : rec?.bundle ? { bundle: rec.bundle, at: rec.bundleAt } : null;
    if (!newest || now - newest.at > PEER_PREKEY_MAX_AGE_MS) return null;
    return decodePrekeyBundle(newest.bundle);
  }

  /** The 60-digit safety number between this device and `identityKey`. */
  safetyNumberWith(identityKey: Uint8Array): string {
    return safetyNumber(this.p, this.identity.publicKey, identityKey);
  }
}
