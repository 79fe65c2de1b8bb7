// Group message wire format (docs/PROTOCOL.md Part II, "Group message").
//
//   0      1                 17        21           23          27                    n-64     n
//   +------+-----------------+---------+------------+-----------+---------------------+--------+
//   | ver  | group ID (16)   | epoch   | sender idx | generation| ciphertext || tag   | sig    |
//   | u8=1 |                 | u32 BE  | u16 BE     | u32 BE    | padded pt + 16      | 64     |
//   +------+-----------------+---------+------------+-----------+---------------------+--------+
//
// The first 27 bytes are the header. The sender index is the sender's position in the
// epoch's member list sorted by member ID (bytewise ascending), which every member and
// the relay (public fold) know. The transcript hash and the sender's full member ID are
// bound by the signature and the AEAD associated data but not sent.
//
// `decodeGroupMessageHeader` needs no key: the relay uses it to route and to reject a
// send in a replaced epoch. It checks the whole framing, including that the ciphertext
// length is one a padded plaintext can have.
import { assertBytes, assertInteger } from '../bytes';
import { E2eeError, MALFORMED } from '../errors';
import {
  MAX_CHAIN_GENERATION,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_MESSAGE_BYTES,
  MAX_MESSAGE_EPOCH,
  MAX_MESSAGE_PLAINTEXT_BYTES,
  MESSAGE_GROUP_ID_BYTES,
  MIN_PADDED_BYTES,
} from '../limits';
import { padme, paddedLength } from '../padding';

/** The protocol version byte of a group message. */
export const GROUP_MESSAGE_VERSION = 1;
/** A message whose version byte this code does not speak. */
export const UNSUPPORTED_VERSION = 'E2E_ERR_UNSUPPORTED_VERSION';

export const GROUP_MESSAGE_HEADER_BYTES = 1 + MESSAGE_GROUP_ID_BYTES + 4 + 2 + 4;
export const MESSAGE_SIGNATURE_BYTES = 64;
export const MESSAGE_TAG_BYTES = 16;
/** Bytes a message adds to its padded plaintext: header + AEAD tag + signature (107). */
export const GROUP_MESSAGE_OVERHEAD_BYTES = GROUP_MESSAGE_HEADER_BYTES + MESSAGE_TAG_BYTES + MESSAGE_SIGNATURE_BYTES;
const MIN_MESSAGE_BYTES = GROUP_MESSAGE_OVERHEAD_BYTES + MIN_PADDED_BYTES;
const MAX_PADDED_BYTES = paddedLength(MAX_MESSAGE_PLAINTEXT_BYTES);

export interface GroupMessageHeader {
  readonly version: number;
  /** 16 bytes. */
  readonly groupId: Uint8Array;
  readonly epoch: number;
  /** Index of the sender in the epoch's member list sorted by member ID. */
  readonly senderIndex: number;
  readonly generation: number;
}

/** A decoded message: the header plus views into the input for the signed parts. */
export interface GroupMessageParts {
  readonly header: GroupMessageHeader;
  /** The 27 header bytes (a view into the input). */
  readonly headerBytes: Uint8Array;
  /** Padded plaintext sealed with XChaCha20-Poly1305, tag included (a view). */
  readonly ciphertext: Uint8Array;
  /** Ed25519 signature (a view). */
  readonly signature: Uint8Array;
}

/** Encodes the 27-byte header. Caller bugs throw TypeError/RangeError naming the field. */
export function encodeGroupMessageHeader(header: GroupMessageHeader): Uint8Array {
  if (header.version !== GROUP_MESSAGE_VERSION) throw new RangeError(`"version" must be ${GROUP_MESSAGE_VERSION}`);
  assertBytes('groupId', header.groupId, MESSAGE_GROUP_ID_BYTES);
  assertInteger('epoch', header.epoch, 0, MAX_MESSAGE_EPOCH);
  assertInteger('senderIndex', header.senderIndex, 0, MAX_GROUP_MEMBERS - 1);
  assertInteger('generation', header.generation, 0, MAX_CHAIN_GENERATION - 1);
  const out = new Uint8Array(GROUP_MESSAGE_HEADER_BYTES);
  writeHeader(out, header.groupId, header.epoch, header.senderIndex, header.generation);
  return out;
}

/** Writes a header into the first 27 bytes of `out` (arguments already checked). */
export function writeHeader(out: Uint8Array, groupId: Uint8Array, epoch: number, senderIndex: number, generation: number): void {
  out[0] = GROUP_MESSAGE_VERSION;
  out.set(groupId, 1);
  const o = 1 + MESSAGE_GROUP_ID_BYTES;
  out[o] = epoch >>> 24;
  out[o + 1] = (epoch >>> 16) & 255;
  out[o + 2] = (epoch >>> 8) & 255;
  out[o + 3] = epoch & 255;
  out[o + 4] = senderIndex >>> 8;
  out[o + 5] = senderIndex & 255;
  out[o + 6] = generation >>> 24;
  out[o + 7] = (generation >>> 16) & 255;
  out[o + 8] = (generation >>> 8) & 255;
  out[o + 9] = generation & 255;
}

function fail(field: string, reason: string): never {
  throw new E2eeError(MALFORMED, `group message: ${field}: ${reason}`, 'decode group message');
}

/** True when `n` is the length of some padded plaintext (Padmé with the minimum). */
export function isPaddedLength(n: number): boolean {
  if (n === MIN_PADDED_BYTES) return true;
  return n > MIN_PADDED_BYTES && n <= MAX_PADDED_BYTES && padme(n) === n;
}

/**
 * Splits and checks a whole group message without any key. Throws
 * E2eeError(UNSUPPORTED_VERSION) for another version byte and E2eeError(MALFORMED) for
 * anything else that is not a well-formed message (length, sender index, generation).
 */
export function decodeGroupMessage(bytes: Uint8Array): GroupMessageParts {
  assertBytes('bytes', bytes);
  if (bytes.length < 1) fail('version', 'truncated');
  if (bytes[0] !== GROUP_MESSAGE_VERSION) {
    throw new E2eeError(UNSUPPORTED_VERSION, `group message: unsupported version ${bytes[0]}`, 'decode group message');
  }
  if (bytes.length < MIN_MESSAGE_BYTES) fail('length', `${bytes.length} bytes is shorter than the minimum ${MIN_MESSAGE_BYTES}`);
  if (bytes.length > MAX_GROUP_MESSAGE_BYTES) fail('length', `${bytes.length} bytes exceeds cap ${MAX_GROUP_MESSAGE_BYTES}`);
  const padded = bytes.length - GROUP_MESSAGE_OVERHEAD_BYTES;
  if (!isPaddedLength(padded)) fail('ciphertext', `length ${padded + MESSAGE_TAG_BYTES} is not a padded length plus tag`);
  const o = 1 + MESSAGE_GROUP_ID_BYTES;
  const epoch = ((bytes[o]! << 24) >>> 0) + (bytes[o + 1]! << 16) + (bytes[o + 2]! << 8) + bytes[o + 3]!;
  const senderIndex = (bytes[o + 4]! << 8) | bytes[o + 5]!;
  const generation = ((bytes[o + 6]! << 24) >>> 0) + (bytes[o + 7]! << 16) + (bytes[o + 8]! << 8) + bytes[o + 9]!;
  if (senderIndex >= MAX_GROUP_MEMBERS) fail('senderIndex', `${senderIndex} exceeds the group size cap`);
  if (generation >= MAX_CHAIN_GENERATION) fail('generation', 'reserved value');
  const sigStart = bytes.length - MESSAGE_SIGNATURE_BYTES;
  return {
    header: { version: GROUP_MESSAGE_VERSION, groupId: bytes.slice(1, o), epoch, senderIndex, generation },
    headerBytes: bytes.subarray(0, GROUP_MESSAGE_HEADER_BYTES),
    ciphertext: bytes.subarray(GROUP_MESSAGE_HEADER_BYTES, sigStart),
    signature: bytes.subarray(sigStart),
  };
}

/** Keyless header decoder for the relay: version, group ID, epoch, sender index, generation. */
export function decodeGroupMessageHeader(bytes: Uint8Array): GroupMessageHeader {
  return decodeGroupMessage(bytes).header;
}
