// Message IDs (the relay's clientMessageId): 16 bytes, time-ordered like a UUIDv7 so that
// IDs sort roughly by creation and a retry can reuse the same ID.
//
//   messageId = u48 big-endian ms timestamp || 10 random bytes
import { assertBytes, assertInteger } from '../../../crypto/src/bytes';
import type { RandomSource } from '../../../crypto/src/primitives/types';
import { MESSAGE_ID_BYTES } from './limits';

const MAX_U48 = 2 ** 48 - 1;

export function createMessageId(now: number, random: RandomSource): Uint8Array {
  assertInteger('now', now, 0, MAX_U48);
  const tail = assertBytes('random output', random(MESSAGE_ID_BYTES - 6), MESSAGE_ID_BYTES - 6);
  const id = new Uint8Array(MESSAGE_ID_BYTES);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    id[i] = t % 256;
    t = Math.floor(t / 256);
  }
  id.set(tail, 6);
  return id;
}

/** The creation time written into a message ID (ms). */
export function messageIdTime(id: Uint8Array): number {
  assertBytes('id', id, MESSAGE_ID_BYTES);
  let t = 0;
  for (let i = 0; i < 6; i++) t = t * 256 + id[i]!;
  return t;
}
