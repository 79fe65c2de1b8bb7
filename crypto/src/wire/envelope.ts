// Envelope: a one-shot box from a committer to one recipient's prekey. Byte diagram:
// docs/PROTOCOL.md "Envelope".
//
//   header   = u8 version(=1) || u8 kind || groupId[16] || u32 epoch || recipient[32]
//              || u8 prekeyKind || u32 prekeyId || ephemeral[32]
//   envelope = header || u32 len || sealed[len]      (sealed = ciphertext || tag[16])
//
// The header is public: the relay routes by `recipient` without any key. The header is
// the AEAD's associated data; the entry that carries the envelope lists its hash and
// is signed, which authenticates it.
import { assertBytes, isBytes } from '../bytes';
import { HASH } from '../labels';
import { MAX_ENVELOPE_PAYLOAD_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import { labelledHash } from '../identity/labelled-hash';
import { assertVersion, WireReader, WireWriter } from './codec';
import { GROUP_ID_BYTES } from './log-entry';

export const ENVELOPE_VERSION = 1;
export const AEAD_TAG_BYTES = 16;

/** What an envelope carries: a fresh epoch secret to a member, or a welcome to a joiner. */
export const ENVELOPE_KIND = { 'epoch-secret': 1, welcome: 2 } as const;
export type EnvelopeKind = keyof typeof ENVELOPE_KIND;
const KIND_BY_VALUE = new Map<number, EnvelopeKind>([
  [1, 'epoch-secret'],
  [2, 'welcome'],
]);

/** Which of the recipient's prekeys the envelope is sealed to. */
export const PREKEY_KIND = { signed: 1, 'one-time': 2 } as const;
export type PrekeyKind = keyof typeof PREKEY_KIND;
const PREKEY_BY_VALUE = new Map<number, PrekeyKind>([
  [1, 'signed'],
  [2, 'one-time'],
]);

export interface EnvelopeHeader {
  readonly version: 1;
  readonly kind: EnvelopeKind;
  readonly groupId: Uint8Array;
  /** The epoch the carrying entry starts. */
  readonly epoch: number;
  readonly recipient: Uint8Array;
  readonly prekeyKind: PrekeyKind;
  readonly prekeyId: number;
  /** The committer's ephemeral X25519 public key for this envelope only. */
  readonly ephemeral: Uint8Array;
}

export interface Envelope extends EnvelopeHeader {
  readonly sealed: Uint8Array;
}

/** Length of the header: 1 + 1 + 16 + 4 + 32 + 1 + 4 + 32. */
export const ENVELOPE_HEADER_BYTES = 91;

export function encodeEnvelopeHeader(h: EnvelopeHeader): Uint8Array {
  assertVersion(h.version, ENVELOPE_VERSION);
  const kind = ENVELOPE_KIND[h.kind];
  const prekeyKind = PREKEY_KIND[h.prekeyKind];
  if (!kind) throw new TypeError('"kind" is not an envelope kind');
  if (!prekeyKind) throw new TypeError('"prekeyKind" is not a prekey kind');
  return new WireWriter(ENVELOPE_HEADER_BYTES)
    .u8(ENVELOPE_VERSION)
    .u8(kind)
    .fixed(h.groupId, GROUP_ID_BYTES)
    .u32(h.epoch)
    .fixed(h.recipient, 32)
    .u8(prekeyKind)
    .u32(h.prekeyId)
    .fixed(h.ephemeral, 32)
    .finish();
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  const header = encodeEnvelopeHeader(e);
  if (!isBytes(e.sealed) || e.sealed.length < AEAD_TAG_BYTES) throw new RangeError('"sealed" shorter than a tag');
  return new WireWriter(header.length + 4 + e.sealed.length)
    .fixed(header, header.length)
    .bytes32(e.sealed, MAX_ENVELOPE_PAYLOAD_BYTES)
    .finish();
}

function readHeader(r: WireReader): EnvelopeHeader {
  const version = r.u8('version');
  if (version !== ENVELOPE_VERSION) r.fail('version', `unsupported version ${version}`);
  const kindValue = r.u8('kind');
  const kind = KIND_BY_VALUE.get(kindValue);
  if (!kind) r.fail('kind', `unknown value ${kindValue}`);
  const groupId = r.fixed('groupId', GROUP_ID_BYTES);
  const epoch = r.u32('epoch');
  const recipient = r.fixed('recipient', 32);
  const pkValue = r.u8('prekeyKind');
  const prekeyKind = PREKEY_BY_VALUE.get(pkValue);
  if (!prekeyKind) r.fail('prekeyKind', `unknown value ${pkValue}`);
  const prekeyId = r.u32('prekeyId');
  const ephemeral = r.fixed('ephemeral', 32);
  return { version: ENVELOPE_VERSION, kind, groupId, epoch, recipient, prekeyKind, prekeyId, ephemeral };
}

/** Strict decoder of a whole envelope. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'envelope');
  const header = readHeader(r);
  const sealed = r.bytes32('sealed', MAX_ENVELOPE_PAYLOAD_BYTES, AEAD_TAG_BYTES);
  r.end();
  return { ...header, sealed };
}

/**
 * The public header of an envelope (it validates the whole envelope's framing first).
 * The relay routes with `recipient` and needs no key.
 */
export function decodeEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  const { sealed: _sealed, ...header } = decodeEnvelope(bytes);
  return header;
}

/** The recipient member ID of an envelope, for routing. Throws E2eeError(MALFORMED) on junk. */
export function decodeEnvelopeRecipient(bytes: Uint8Array): Uint8Array {
  return decodeEnvelope(bytes).recipient;
}

/** The envelope hash an entry lists: labelled hash of the whole envelope bytes. */
export function envelopeHashOf(p: Primitives, envelopeBytes: Uint8Array): Uint8Array {
  return labelledHash(p, HASH.ENVELOPE, envelopeBytes);
}
