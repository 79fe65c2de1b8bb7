// Prekey bundle: what the relay hands a committer so it can box an envelope to a member.
// Byte diagram: docs/PROTOCOL.md "Prekey bundle".
//
//   bundle = u8 version(=1) || identityKey[32]
//            || u32 signedPrekeyId || signedPrekey[32] || signedPrekeySig[64]
//            || u8 hasOneTime (0|1) || [ u32 oneTimeId || oneTimePrekey[32] || oneTimeSig[64] ]
//
//   signedPrekeySig = Ed25519(identity, "sig prekey bundle",  identityKey || u32 id || prekey)
//   oneTimeSig      = Ed25519(identity, "sig one-time prekey", identityKey || u32 id || prekey)
//
// Each prekey is signed on its own, so the relay can hand out one-time prekeys one by one
// and cannot substitute a key of its own for any of them.
import { assertBytes } from '../bytes';
import { BAD_SIGNATURE, E2eeError } from '../errors';
import { signWithLabel, verifyWithLabel } from '../kdf';
import { SIG } from '../labels';
import type { Primitives } from '../primitives/types';
import { assertVersion, WireReader, WireWriter } from './codec';

export const PREKEY_BUNDLE_VERSION = 1;

export interface SignedPublicPrekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface PrekeyBundle {
  readonly version: 1;
  readonly identityKey: Uint8Array;
  readonly signedPrekey: SignedPublicPrekey;
  readonly oneTimePrekey: SignedPublicPrekey | null;
}

/** The bytes a prekey signature covers: identityKey || u32 id || publicKey. */
export function prekeySignedData(identityKey: Uint8Array, id: number, publicKey: Uint8Array): Uint8Array {
  return new WireWriter(68).fixed(identityKey, 32).u32(id).fixed(publicKey, 32).finish();
}

export function signPrekey(
  p: Primitives,
  identitySeed: Uint8Array,
  kind: 'signed' | 'one-time',
  id: number,
  publicKey: Uint8Array,
): SignedPublicPrekey {
  const identityKey = p.ed25519PublicKey(identitySeed);
  const label = kind === 'signed' ? SIG.PREKEY_BUNDLE : SIG.ONE_TIME_PREKEY;
  const signature = signWithLabel(p, identitySeed, label, prekeySignedData(identityKey, id, publicKey));
  return { id, publicKey: publicKey.slice(), signature };
}

function writePrekey(w: WireWriter, k: SignedPublicPrekey): void {
  w.u32(k.id).fixed(k.publicKey, 32).fixed(k.signature, 64);
}

function readPrekey(r: WireReader, field: string): SignedPublicPrekey {
  return { id: r.u32(`${field}.id`), publicKey: r.fixed(`${field}.publicKey`, 32), signature: r.fixed(`${field}.signature`, 64) };
}

export function encodePrekeyBundle(b: PrekeyBundle): Uint8Array {
  assertVersion(b.version, PREKEY_BUNDLE_VERSION);
  const w = new WireWriter(240).u8(PREKEY_BUNDLE_VERSION).fixed(b.identityKey, 32);
  writePrekey(w, b.signedPrekey);
  w.u8(b.oneTimePrekey ? 1 : 0);
  if (b.oneTimePrekey) writePrekey(w, b.oneTimePrekey);
  return w.finish();
}

/** Strict structural decoder; signatures are checked by verifyPrekeyBundle. */
export function decodePrekeyBundle(bytes: Uint8Array): PrekeyBundle {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'prekey bundle');
  const version = r.u8('version');
  if (version !== PREKEY_BUNDLE_VERSION) r.fail('version', `unsupported version ${version}`);
  const identityKey = r.fixed('identityKey', 32);
  const signedPrekey = readPrekey(r, 'signedPrekey');
  const has = r.u8('hasOneTime');
  if (has > 1) r.fail('hasOneTime', `unknown value ${has}`);
  const oneTimePrekey = has ? readPrekey(r, 'oneTimePrekey') : null;
  r.end();
  return { version: PREKEY_BUNDLE_VERSION, identityKey, signedPrekey, oneTimePrekey };
}

/** Decodes and verifies every signature of a bundle; throws E2eeError(BAD_SIGNATURE). */
export function verifyPrekeyBundle(p: Primitives, bytes: Uint8Array): PrekeyBundle {
  const b = decodePrekeyBundle(bytes);
  const spk = b.signedPrekey;
  if (!verifyWithLabel(p, b.identityKey, SIG.PREKEY_BUNDLE, prekeySignedData(b.identityKey, spk.id, spk.publicKey), spk.signature)) {
    throw new E2eeError(BAD_SIGNATURE, 'signed prekey signature does not verify', 'verifyPrekeyBundle');
  }
  const otk = b.oneTimePrekey;
  if (otk && !verifyWithLabel(p, b.identityKey, SIG.ONE_TIME_PREKEY, prekeySignedData(b.identityKey, otk.id, otk.publicKey), otk.signature)) {
    throw new E2eeError(BAD_SIGNATURE, 'one-time prekey signature does not verify', 'verifyPrekeyBundle');
  }
  return b;
}
