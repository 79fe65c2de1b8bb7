// Keyed tokens: `[<label>#<12 hex>]`, e.g. `[手机号#3f9a0c1b2d4e]`. The hex is the first 6
// bytes of HMAC-SHA256(key, "wxe2ee redact token v1" || 0x00 || TYPE || 0x00 || value),
// with value the canonical form (folded, no separators, upper case), so the same value
// gets the same token in every message of the sender and nothing else can compute it.
// The key lives only on the sender's device; the restore map token -> original stays in
// the sender's local store.

import { assertBytes, bytesToHex, utf8Encode } from '../bytes';
import { TOKEN_HEX_LENGTH, TOKEN_KEY_LENGTH } from './limits';
import { ENTITY_LABELS, type EntityType, type RestoreMap } from './types';

export type HmacSha256 = (key: Uint8Array, data: Uint8Array) => Uint8Array;

const TOKEN_DOMAIN = 'wxe2ee redact token v1';

const LABELS = [...new Set(Object.values(ENTITY_LABELS))].sort((a, b) => b.length - a.length).join('|');

/** Matches every token this module can produce, e.g. `[手机号#3f9a0c1b2d4e]`. */
export const TOKEN_PATTERN = new RegExp(`\\[(?:${LABELS})#[0-9a-f]{${TOKEN_HEX_LENGTH}}\\]`, 'g');

/** Matches every token and every removal marker (`[手机号]`): blanked before recognition so they never act as context. */
export const MARKER_PATTERN = new RegExp(`\\[(?:${LABELS})(?:#[0-9a-f]{${TOKEN_HEX_LENGTH}})?\\]`, 'g');

export function deriveToken(hmac: HmacSha256, key: Uint8Array, type: EntityType, normalized: string): string {
  assertBytes('tokenKey', key, TOKEN_KEY_LENGTH);
  const mac = hmac(key, utf8Encode(`${TOKEN_DOMAIN}\u0000${type}\u0000${normalized}`));
  assertBytes('hmacSha256 output', mac, 32);
  return `[${ENTITY_LABELS[type]}#${bytesToHex(mac.subarray(0, TOKEN_HEX_LENGTH / 2))}]`;
}

/** The marker that replaces a removed value: the type label only. */
export function removedMarker(type: EntityType): string {
  return `[${ENTITY_LABELS[type]}]`;
}

/** Puts the sender's own values back: every token found in `restore` is replaced by its original. */
export function restore(text: string, map: RestoreMap): string {
  if (typeof text !== 'string') throw new TypeError('"text" expected string');
  return text.replace(TOKEN_PATTERN, (token) => (Object.prototype.hasOwnProperty.call(map, token) ? map[token]! : token));
}
