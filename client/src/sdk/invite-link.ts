// Invite links and join requests (docs/PROTOCOL.md section 17).
//
//   link     = "wxe2ee-join:1:" || hex(inviteId[16]) || ":" || hex(groupId[16]) || ":" || hex(linkSecret[32])
//   key      = deriveSecret(linkSecret, "sdk join request key", inviteId || groupId)
//   body     = u8 version(=1) || nonce[24] || XChaCha20-Poly1305(key, nonce, payload, aad = u8(1) || inviteId || groupId)
//   payload  = u8 version(=1) || u16 n || prekeyBundle[n] (the joiner's, signed prekey only) || u8 m || name[m] (UTF-8)
//
// The relay stores the body opaquely under the invite ID; members who hold the link secret
// (the creator, and every member it was shared with inside the group) open it, verify the
// bundle's signatures and commit the add under the group's join policy.
import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode, wipe } from '../../../crypto/src/bytes';
import { deriveSecret } from '../../../crypto/src/kdf';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import { MAX_JOIN_REQUEST_BYTES } from '../../../crypto/src/wire/http-bodies';
import { verifyPrekeyBundle, type PrekeyBundle } from '../../../crypto/src/wire/identity';
import { SDK_BAD_LINK, sdkError } from './errors';

export const LINK_PREFIX = 'wxe2ee-join:1:';
export const JOIN_REQUEST_KEY_LABEL = 'sdk join request key';
export const MAX_JOIN_NAME_BYTES = 64;

export interface InviteLink {
  inviteId: Uint8Array;
  groupId: Uint8Array;
  linkSecret: Uint8Array;
}

export function formatInviteLink(link: InviteLink): string {
  return `${LINK_PREFIX}${bytesToHex(link.inviteId)}:${bytesToHex(link.groupId)}:${bytesToHex(link.linkSecret)}`;
}

export function parseInviteLink(text: string): InviteLink {
  if (typeof text !== 'string') throw new TypeError('"link" expected a string');
  const m = /^wxe2ee-join:1:([0-9a-f]{32}):([0-9a-f]{32}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw sdkError(SDK_BAD_LINK, 'not an invite link of this protocol version', 'parseInviteLink');
  return { inviteId: hexToBytes(m[1]!), groupId: hexToBytes(m[2]!), linkSecret: hexToBytes(m[3]!) };
}

function requestKey(p: Primitives, link: InviteLink): Uint8Array {
  return deriveSecret(p, link.linkSecret, JOIN_REQUEST_KEY_LABEL, concatBytes(link.inviteId, link.groupId));
}

function aadOf(link: InviteLink): Uint8Array {
  return concatBytes(Uint8Array.of(1), link.inviteId, link.groupId);
}

export interface JoinRequestPayload {
  bundle: Uint8Array;
  name: string;
}

export function sealJoinRequest(p: Primitives, link: InviteLink, payload: JoinRequestPayload): Uint8Array {
  const name = utf8Encode(payload.name);
  if (name.length > MAX_JOIN_NAME_BYTES) throw new RangeError(`"name" longer than ${MAX_JOIN_NAME_BYTES} UTF-8 bytes`);
  const plain = new WireWriter(8 + payload.bundle.length + name.length).u8(1).bytes16(payload.bundle, 1024).bytes8(name, MAX_JOIN_NAME_BYTES).finish();
  const key = requestKey(p, link);
  const nonce = p.randomBytes(24);
  try {
    const sealed = p.xchachaSeal(key, nonce, plain, aadOf(link));
    const body = concatBytes(Uint8Array.of(1), nonce, sealed);
    if (body.length > MAX_JOIN_REQUEST_BYTES) throw new RangeError('join request too large');
    return body;
  } finally {
    wipe(key);
  }
}

export interface OpenedJoinRequest {
  bundle: PrekeyBundle;
  bundleBytes: Uint8Array;
  name: string;
}

/** Opens and checks a join request; E2E_ERR_AUTH_FAILED / E2E_ERR_MALFORMED / E2E_ERR_BAD_SIGNATURE on junk. */
export function openJoinRequest(p: Primitives, link: InviteLink, body: Uint8Array): OpenedJoinRequest {
  const r0 = new WireReader(body, 'join request');
  if (r0.u8('version') !== 1) r0.fail('version', 'unsupported');
  const nonce = r0.fixed('nonce', 24);
  const sealed = r0.fixed('sealed', r0.remaining);
  const key = requestKey(p, link);
  let plain: Uint8Array;
  try {
    plain = p.xchachaOpen(key, nonce, sealed, aadOf(link));
  } finally {
    wipe(key);
  }
  const r = new WireReader(plain, 'join request payload');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const bundleBytes = r.bytes16('bundle', 1024, 1);
  const nameBytes = r.bytes8('name', MAX_JOIN_NAME_BYTES);
  r.end();
  const name = utf8DecodeStrict(nameBytes);
  if (name === null) return r.fail('name', 'not UTF-8');
  const bundle = verifyPrekeyBundle(p, bundleBytes);
  return { bundle, bundleBytes, name };
}

// --- engine control messages ---------------------------------------------------------
// Every plaintext the engine encrypts is framed: u8 kind || body. kind 1 = application
// content (handed to messaging), kind 2 = engine control (never shown):
//   control = u8 type(=1 link share) || inviteId[16] || linkSecret[32] || u64 expiresAt

export const FRAME_APP = 1;
export const FRAME_CONTROL = 2;
export const CONTROL_LINK_SHARE = 1;

export function encodeLinkShare(inviteId: Uint8Array, linkSecret: Uint8Array, expiresAt: number): Uint8Array {
  return new WireWriter(58).u8(FRAME_CONTROL).u8(CONTROL_LINK_SHARE).fixed(inviteId, 16).fixed(linkSecret, 32).u64(expiresAt).finish();
}

export function decodeControl(body: Uint8Array): { inviteId: Uint8Array; linkSecret: Uint8Array; expiresAt: number } {
  const r = new WireReader(body, 'engine control');
  if (r.u8('kind') !== FRAME_CONTROL) r.fail('kind', 'not a control frame');
  if (r.u8('type') !== CONTROL_LINK_SHARE) r.fail('type', 'unknown control type');
  const out = { inviteId: r.fixed('inviteId', 16), linkSecret: r.fixed('linkSecret', 32), expiresAt: r.u64('expiresAt') };
  r.end();
  return out;
}

export function isSameLink(a: InviteLink, b: InviteLink): boolean {
  return equalBytes(a.inviteId, b.inviteId) && equalBytes(a.groupId, b.groupId);
}

