// A device's X25519 prekeys: one signed prekey (rotated; the previous private key kept for
// a retention window so envelopes in flight still open, then deleted) and a batch of
// one-time prekeys for welcomes (each deleted once used).
//
// Plain data, versioned serialization; every function returns a new store and never
// modifies its input. Time is a parameter (ms).
import { assertBytes, assertInteger, wipe } from '../bytes';
import { E2eeError } from '../errors';
import { MAX_ONE_TIME_PREKEYS, SIGNED_PREKEY_RETENTION_MS } from '../limits';
import type { Primitives } from '../primitives/types';
import { WireReader, WireWriter } from '../wire/codec';
import type { PrekeyKind } from '../wire/envelope';
import { encodePrekeyBundle, signPrekey, type PrekeyBundle } from '../wire/identity';

export const PREKEY_STORE_VERSION = 1;
/** Prekey IDs are u32 and never reused by one device. */
export const MAX_PREKEY_ID = 0xffffffff;

export interface PrekeyPair {
  readonly id: number;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface PrekeyStore {
  readonly version: 1;
  readonly signed: PrekeyPair;
  /** When the current signed prekey was made (ms). */
  readonly signedCreatedAt: number;
  /** The previous signed prekey, kept until `previousRetiredAt + SIGNED_PREKEY_RETENTION_MS`. */
  readonly previous: PrekeyPair | null;
  readonly previousRetiredAt: number;
  /** Unused one-time prekeys, ascending by ID. */
  readonly oneTime: readonly PrekeyPair[];
  /** The next ID to allocate (signed and one-time prekeys share the counter). */
  readonly nextId: number;
}

function newPair(p: Primitives, id: number): PrekeyPair {
  if (id > MAX_PREKEY_ID) throw new E2eeError('E2E_ERR_PREKEY_IDS_EXHAUSTED', 'prekey IDs exhausted', 'newPrekey');
  const privateKey = p.randomBytes(32);
  return { id, privateKey, publicKey: p.x25519PublicKey(privateKey) };
}

export function createPrekeyStore(p: Primitives, now: number, oneTimeCount = 0): PrekeyStore {
  assertInteger('now', now);
  const store: PrekeyStore = {
    version: 1,
    signed: newPair(p, 1),
    signedCreatedAt: now,
    previous: null,
    previousRetiredAt: 0,
    oneTime: [],
    nextId: 2,
  };
  return oneTimeCount > 0 ? addOneTimePrekeys(p, store, oneTimeCount) : store;
}

/** New signed prekey; the current one becomes `previous` (an older previous is deleted). */
export function rotateSignedPrekey(p: Primitives, store: PrekeyStore, now: number): PrekeyStore {
  assertInteger('now', now);
  return {
    ...store,
    signed: newPair(p, store.nextId),
    signedCreatedAt: now,
    previous: store.signed,
    previousRetiredAt: now,
    nextId: store.nextId + 1,
  };
}

/** Deletes the previous signed prekey once its retention window has passed. */
export function expireRetiredPrekey(store: PrekeyStore, now: number): PrekeyStore {
  assertInteger('now', now);
  if (!store.previous || now < store.previousRetiredAt + SIGNED_PREKEY_RETENTION_MS) return store;
  return { ...store, previous: null, previousRetiredAt: 0 };
}

export function addOneTimePrekeys(p: Primitives, store: PrekeyStore, count: number): PrekeyStore {
  assertInteger('count', count, 1, MAX_ONE_TIME_PREKEYS);
  if (store.oneTime.length + count > MAX_ONE_TIME_PREKEYS) {
    throw new RangeError(`"count" would exceed MAX_ONE_TIME_PREKEYS (${MAX_ONE_TIME_PREKEYS})`);
  }
  const added: PrekeyPair[] = [];
  for (let i = 0; i < count; i++) added.push(newPair(p, store.nextId + i));
  return { ...store, oneTime: [...store.oneTime, ...added], nextId: store.nextId + count };
}

/** The private key for an envelope's prekey reference, or null if deleted or unknown. */
export function prekeyPrivateKey(store: PrekeyStore, kind: PrekeyKind, id: number): PrekeyPair | null {
  if (kind === 'signed') {
    if (store.signed.id === id) return store.signed;
    if (store.previous?.id === id) return store.previous;
    return null;
  }
  return store.oneTime.find((k) => k.id === id) ?? null;
}

/** Deletes a used one-time prekey (returns a new store; the old one's copy is left to the caller). */
export function consumeOneTimePrekey(store: PrekeyStore, id: number): PrekeyStore {
  if (!store.oneTime.some((k) => k.id === id)) return store;
  return { ...store, oneTime: store.oneTime.filter((k) => k.id !== id) };
}

/** The bundle to publish: the signed prekey, and optionally one one-time prekey. */
export function prekeyBundleOf(p: Primitives, identitySeed: Uint8Array, store: PrekeyStore, oneTimeId: number | null = null): Uint8Array {
  assertBytes('identitySeed', identitySeed, 32);
  const otk = oneTimeId === null ? null : store.oneTime.find((k) => k.id === oneTimeId);
  if (otk === undefined) throw new RangeError('"oneTimeId" is not an unused one-time prekey');
  const bundle: PrekeyBundle = {
    version: 1,
    identityKey: p.ed25519PublicKey(identitySeed),
    signedPrekey: signPrekey(p, identitySeed, 'signed', store.signed.id, store.signed.publicKey),
    oneTimePrekey: otk ? signPrekey(p, identitySeed, 'one-time', otk.id, otk.publicKey) : null,
  };
  return encodePrekeyBundle(bundle);
}

/** Wipes every private key of a store the caller is discarding. */
export function wipePrekeyStore(store: PrekeyStore): void {
  wipe(store.signed.privateKey, store.previous?.privateKey);
  for (const k of store.oneTime) wipe(k.privateKey);
}

// --- serialization ---------------------------------------------------------------------
//   u8 version(=1) || pair signed || u64 signedCreatedAt || u8 hasPrevious || [pair previous || u64 retiredAt]
//   || u16 n || n * pair || u32 nextId
//   pair = u32 id || privateKey[32]         (the public key is recomputed on load)

function writePair(w: WireWriter, k: PrekeyPair): void {
  w.u32(k.id).fixed(k.privateKey, 32);
}

function readPair(p: Primitives, r: WireReader, field: string): PrekeyPair {
  const id = r.u32(`${field}.id`);
  const privateKey = r.fixed(`${field}.privateKey`, 32);
  return { id, privateKey, publicKey: p.x25519PublicKey(privateKey) };
}

export function encodePrekeyStore(store: PrekeyStore): Uint8Array {
  const w = new WireWriter(128 + store.oneTime.length * 36).u8(PREKEY_STORE_VERSION);
  writePair(w, store.signed);
  w.u64(store.signedCreatedAt).u8(store.previous ? 1 : 0);
  if (store.previous) {
    writePair(w, store.previous);
    w.u64(store.previousRetiredAt);
  }
  if (store.oneTime.length > MAX_ONE_TIME_PREKEYS) throw new RangeError('"oneTime" exceeds MAX_ONE_TIME_PREKEYS');
  w.u16(store.oneTime.length);
  for (const k of store.oneTime) writePair(w, k);
  return w.u32(store.nextId).finish();
}

export function decodePrekeyStore(p: Primitives, bytes: Uint8Array): PrekeyStore {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'prekey store');
  const version = r.u8('version');
  if (version !== PREKEY_STORE_VERSION) r.fail('version', `unsupported version ${version}`);
  const signed = readPair(p, r, 'signed');
  const signedCreatedAt = r.u64('signedCreatedAt');
  const has = r.u8('hasPrevious');
  if (has > 1) r.fail('hasPrevious', `unknown value ${has}`);
  const previous = has ? readPair(p, r, 'previous') : null;
  const previousRetiredAt = has ? r.u64('previousRetiredAt') : 0;
  const n = r.u16('oneTime.count');
  if (n > MAX_ONE_TIME_PREKEYS) r.fail('oneTime.count', `exceeds ${MAX_ONE_TIME_PREKEYS}`);
  const oneTime: PrekeyPair[] = [];
  for (let i = 0; i < n; i++) {
    const k = readPair(p, r, 'oneTime');
    if (i > 0 && oneTime[i - 1]!.id >= k.id) r.fail('oneTime.id', 'not strictly ascending');
    oneTime.push(k);
  }
  const nextId = r.u32('nextId');
  r.end();
  const ids = [signed.id, ...(previous ? [previous.id] : []), ...oneTime.map((k) => k.id)];
  if (ids.some((id) => id >= nextId)) r.fail('nextId', 'not above every prekey ID');
  if (previous && previous.id === signed.id) r.fail('previous.id', 'equals the signed prekey ID');
  return { version: 1, signed, signedCreatedAt, previous, previousRetiredAt, oneTime, nextId };
}

