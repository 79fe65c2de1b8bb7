// Binary HTTP bodies of the relay's routes (docs/RELAY.md "HTTP routes"), Content-Type
// application/octet-stream. Integers big-endian; bytesN = uN length prefix. Strict decoders.
// Error responses are JSON `{ "error": "E2E_ERR_RELAY_<NAME>", "message": "..." }` (not hot path).
import { MAX_GROUP_MEMBERS } from '../limits';
import { WireReader, WireWriter } from './codec';
import { MEMBER_ID_BYTES, SESSION_TOKEN_BYTES } from './relay-frames';

export const MAX_CHALLENGE_BYTES = 256;
export const MAX_SIGNED_PREKEY_BYTES = 2048;
export const MAX_ONE_TIME_PREKEY_BYTES = 256;
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 1000;
export const MAX_LOG_ENTRY_BYTES = 256 * 1024;
/** An envelope: 111-byte header, u32 length, sealed payload (a welcome carries up to 256 KiB). */
export const MAX_ENVELOPE_BYTES = 111 + 4 + 256 * 1024;
/** One envelope per remaining member at most (plus none for the committer). */
export const MAX_ENVELOPES_PER_ENTRY = MAX_GROUP_MEMBERS;
export const MAX_PAGE_ITEMS = 1000;
export const MAX_JOIN_REQUEST_BYTES = 4096;
export const INVITE_ID_BYTES = 16;
export const BLOB_ID_BYTES = 16;
export const HEAD_HASH_BYTES = 32;

export interface AuthChallengeRequest {
  identityKey: Uint8Array;
}
export interface AuthChallengeResponse {
  challenge: Uint8Array;
}
export interface AuthSessionRequest {
  challenge: Uint8Array;
  signature: Uint8Array;
}
export interface AuthSessionResponse {
  token: Uint8Array;
  memberId: Uint8Array;
  expiresAt: number;
}
export interface PrekeyUpload {
  /**
   * A prekey bundle (crypto/src/wire/identity.ts) of the uploading device with its signed
   * prekey and no one-time prekey; empty keeps the stored one.
   */
  signedPrekey: Uint8Array;
  /** One-time prekeys: `key` = publicKey[32] || signature[64] ("sig one-time prekey"). */
  oneTimePrekeys: { id: number; key: Uint8Array }[];
}
// A prekey claim answers a prekey bundle (crypto/src/wire/identity.ts) that carries one
// one-time prekey when any is left: the relay assembles it from what the device uploaded,
// and every prekey in it is signed by the device, so a relay cannot substitute its own.
export interface LogAppendRequest {
  /** Head hash the entry builds on (compare-and-swap); all zero for a genesis entry. */
  expectedHead: Uint8Array;
  entry: Uint8Array;
  envelopes: Uint8Array[];
}
export interface LogAppendResponse {
  index: number;
  head: Uint8Array;
  epoch: number;
}
export interface LogPageItem {
  index: number;
  entry: Uint8Array;
  /** The caller's own envelope for this entry, or empty. */
  envelope: Uint8Array;
}
export interface LogPage {
  items: LogPageItem[];
  more: boolean;
}
export interface MessagePageItem {
  seq: number;
  sender: Uint8Array;
  epoch: number;
  sentAt: number;
  ciphertext: Uint8Array;
}
export interface MessagePage {
  items: MessagePageItem[];
  more: boolean;
}
export interface InviteCreateRequest {
  expiresAt: number;
  maxUses: number;
}
export interface JoinRequestItem {
  requestId: number;
  inviteId: Uint8Array;
  createdAt: number;
  body: Uint8Array;
}

export function encodeAuthChallengeRequest(b: AuthChallengeRequest): Uint8Array {
  return new WireWriter(32).fixed(b.identityKey, 32).finish();
}
export function decodeAuthChallengeRequest(bytes: Uint8Array): AuthChallengeRequest {
  const r = new WireReader(bytes, 'AuthChallengeRequest');
  const out = { identityKey: r.fixed('identityKey', 32) };
  r.end();
  return out;
}

export function encodeAuthChallengeResponse(b: AuthChallengeResponse): Uint8Array {
  return new WireWriter(200).bytes16(b.challenge, MAX_CHALLENGE_BYTES).finish();
}
export function decodeAuthChallengeResponse(bytes: Uint8Array): AuthChallengeResponse {
  const r = new WireReader(bytes, 'AuthChallengeResponse');
  const out = { challenge: r.bytes16('challenge', MAX_CHALLENGE_BYTES, 1) };
  r.end();
  return out;
}

export function encodeAuthSessionRequest(b: AuthSessionRequest): Uint8Array {
  return new WireWriter(260).bytes16(b.challenge, MAX_CHALLENGE_BYTES).fixed(b.signature, 64).finish();
}
export function decodeAuthSessionRequest(bytes: Uint8Array): AuthSessionRequest {
  const r = new WireReader(bytes, 'AuthSessionRequest');
  const out = { challenge: r.bytes16('challenge', MAX_CHALLENGE_BYTES, 1), signature: r.fixed('signature', 64) };
  r.end();
  return out;
}

export function encodeAuthSessionResponse(b: AuthSessionResponse): Uint8Array {
  return new WireWriter(72).fixed(b.token, SESSION_TOKEN_BYTES).fixed(b.memberId, MEMBER_ID_BYTES).u64(b.expiresAt).finish();
}
export function decodeAuthSessionResponse(bytes: Uint8Array): AuthSessionResponse {
  const r = new WireReader(bytes, 'AuthSessionResponse');
  const out = { token: r.fixed('token', SESSION_TOKEN_BYTES), memberId: r.fixed('memberId', MEMBER_ID_BYTES), expiresAt: r.u64('expiresAt') };
  r.end();
  return out;
}

export function encodePrekeyUpload(b: PrekeyUpload): Uint8Array {
  if (b.oneTimePrekeys.length > MAX_ONE_TIME_PREKEYS_PER_UPLOAD) {
    throw new RangeError(`"oneTimePrekeys" more than ${MAX_ONE_TIME_PREKEYS_PER_UPLOAD}`);
  }
  const w = new WireWriter(64 + b.signedPrekey.length + b.oneTimePrekeys.length * 40)
    .bytes16(b.signedPrekey, MAX_SIGNED_PREKEY_BYTES)
    .u16(b.oneTimePrekeys.length);
  for (const k of b.oneTimePrekeys) w.u32(k.id).bytes16(k.key, MAX_ONE_TIME_PREKEY_BYTES);
  return w.finish();
}
export function decodePrekeyUpload(bytes: Uint8Array): PrekeyUpload {
  const r = new WireReader(bytes, 'PrekeyUpload');
  const signedPrekey = r.bytes16('signedPrekey', MAX_SIGNED_PREKEY_BYTES);
  const n = r.u16('count');
  if (n > MAX_ONE_TIME_PREKEYS_PER_UPLOAD) r.fail('count', `more than ${MAX_ONE_TIME_PREKEYS_PER_UPLOAD}`);
  const oneTimePrekeys: { id: number; key: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) oneTimePrekeys.push({ id: r.u32('id'), key: r.bytes16('key', MAX_ONE_TIME_PREKEY_BYTES, 1) });
  r.end();
  return { signedPrekey, oneTimePrekeys };
}

export function encodeLogAppendRequest(b: LogAppendRequest): Uint8Array {
  if (b.envelopes.length > MAX_ENVELOPES_PER_ENTRY) throw new RangeError(`"envelopes" more than ${MAX_ENVELOPES_PER_ENTRY}`);
  let size = 48 + b.entry.length;
  for (const e of b.envelopes) size += 4 + e.length;
  const w = new WireWriter(size).fixed(b.expectedHead, HEAD_HASH_BYTES).bytes32(b.entry, MAX_LOG_ENTRY_BYTES).u16(b.envelopes.length);
  for (const e of b.envelopes) w.bytes32(e, MAX_ENVELOPE_BYTES);
  return w.finish();
}
export function decodeLogAppendRequest(bytes: Uint8Array): LogAppendRequest {
  const r = new WireReader(bytes, 'LogAppendRequest');
  const expectedHead = r.fixed('expectedHead', HEAD_HASH_BYTES);
  const entry = r.bytes32('entry', MAX_LOG_ENTRY_BYTES, 1);
  const n = r.u16('count');
  if (n > MAX_ENVELOPES_PER_ENTRY) r.fail('count', `more than ${MAX_ENVELOPES_PER_ENTRY}`);
  const envelopes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) envelopes.push(r.bytes32('envelope', MAX_ENVELOPE_BYTES, 1));
  r.end();
  return { expectedHead, entry, envelopes };
}

export function encodeLogAppendResponse(b: LogAppendResponse): Uint8Array {
  return new WireWriter(48).u64(b.index).fixed(b.head, HEAD_HASH_BYTES).u64(b.epoch).finish();
}
export function decodeLogAppendResponse(bytes: Uint8Array): LogAppendResponse {
  const r = new WireReader(bytes, 'LogAppendResponse');
  const out = { index: r.u64('index'), head: r.fixed('head', HEAD_HASH_BYTES), epoch: r.u64('epoch') };
  r.end();
  return out;
}

export function encodeLogPage(b: LogPage): Uint8Array {
  if (b.items.length > MAX_PAGE_ITEMS) throw new RangeError(`"items" more than ${MAX_PAGE_ITEMS}`);
  const w = new WireWriter(1024).u16(b.items.length);
  for (const it of b.items) w.u64(it.index).bytes32(it.entry, MAX_LOG_ENTRY_BYTES).bytes32(it.envelope, MAX_ENVELOPE_BYTES);
  return w.u8(b.more ? 1 : 0).finish();
}
export function decodeLogPage(bytes: Uint8Array): LogPage {
  const r = new WireReader(bytes, 'LogPage');
  const n = r.u16('count');
  if (n > MAX_PAGE_ITEMS) r.fail('count', `more than ${MAX_PAGE_ITEMS}`);
  const items: LogPageItem[] = [];
  for (let i = 0; i < n; i++) {
    items.push({ index: r.u64('index'), entry: r.bytes32('entry', MAX_LOG_ENTRY_BYTES, 1), envelope: r.bytes32('envelope', MAX_ENVELOPE_BYTES) });
  }
  const more = r.enumU8('more', [0, 1]) === 1;
  r.end();
  return { items, more };
}

/** Message pages carry ciphertexts up to `maxCiphertext` (the relay's configured cap). */
export function encodeMessagePage(b: MessagePage, maxCiphertext = 16 * 1024 * 1024): Uint8Array {
  if (b.items.length > MAX_PAGE_ITEMS) throw new RangeError(`"items" more than ${MAX_PAGE_ITEMS}`);
  const w = new WireWriter(4096).u16(b.items.length);
  for (const it of b.items) {
    w.u64(it.seq).fixed(it.sender, MEMBER_ID_BYTES).u64(it.epoch).u64(it.sentAt).bytes32(it.ciphertext, maxCiphertext);
  }
  return w.u8(b.more ? 1 : 0).finish();
}
export function decodeMessagePage(bytes: Uint8Array, maxCiphertext = 16 * 1024 * 1024): MessagePage {
  const r = new WireReader(bytes, 'MessagePage');
  const n = r.u16('count');
  if (n > MAX_PAGE_ITEMS) r.fail('count', `more than ${MAX_PAGE_ITEMS}`);
  const items: MessagePageItem[] = [];
  for (let i = 0; i < n; i++) {
    items.push({
      seq: r.u64('seq'),
      sender: r.fixed('sender', MEMBER_ID_BYTES),
      epoch: r.u64('epoch'),
      sentAt: r.u64('sentAt'),
      ciphertext: r.bytes32('ciphertext', maxCiphertext, 1),
    });
  }
  const more = r.enumU8('more', [0, 1]) === 1;
  r.end();
  return { items, more };
}

export function encodeInviteCreateRequest(b: InviteCreateRequest): Uint8Array {
  return new WireWriter(12).u64(b.expiresAt).u32(b.maxUses).finish();
}
export function decodeInviteCreateRequest(bytes: Uint8Array): InviteCreateRequest {
  const r = new WireReader(bytes, 'InviteCreateRequest');
  const out = { expiresAt: r.u64('expiresAt'), maxUses: r.u32('maxUses') };
  if (out.maxUses < 1) r.fail('maxUses', 'must be at least 1');
  r.end();
  return out;
}

/** A fixed-size ID body (invite ID, blob ID): exactly `length` bytes. */
export function decodeIdBody(bytes: Uint8Array, what: string, length: number): Uint8Array {
  const r = new WireReader(bytes, what);
  const id = r.fixed('id', length);
  r.end();
  return id;
}

/** A u64 body (join request ID). */
export function encodeU64Body(value: number): Uint8Array {
  return new WireWriter(8).u64(value).finish();
}
export function decodeU64Body(bytes: Uint8Array, what: string): number {
  const r = new WireReader(bytes, what);
  const v = r.u64('value');
  r.end();
  return v;
}

/** The opaque join request a joiner posts to an invite (sealed to the group by the client). */
export function decodeJoinRequestBody(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 1 || bytes.length > MAX_JOIN_REQUEST_BYTES) {
    new WireReader(bytes, 'JoinRequest').fail('body', `length ${bytes.length} outside 1..${MAX_JOIN_REQUEST_BYTES}`);
  }
  return bytes;
}

export function encodeJoinRequestList(items: JoinRequestItem[]): Uint8Array {
  if (items.length > MAX_PAGE_ITEMS) throw new RangeError(`"items" more than ${MAX_PAGE_ITEMS}`);
  const w = new WireWriter(1024).u16(items.length);
  for (const it of items) w.u64(it.requestId).fixed(it.inviteId, INVITE_ID_BYTES).u64(it.createdAt).bytes16(it.body, MAX_JOIN_REQUEST_BYTES);
  return w.finish();
}
export function decodeJoinRequestList(bytes: Uint8Array): JoinRequestItem[] {
  const r = new WireReader(bytes, 'JoinRequestList');
  const n = r.u16('count');
  if (n > MAX_PAGE_ITEMS) r.fail('count', `more than ${MAX_PAGE_ITEMS}`);
  const items: JoinRequestItem[] = [];
  for (let i = 0; i < n; i++) {
    items.push({
      requestId: r.u64('requestId'),
      inviteId: r.fixed('inviteId', INVITE_ID_BYTES),
      createdAt: r.u64('createdAt'),
      body: r.bytes16('body', MAX_JOIN_REQUEST_BYTES, 1),
    });
  }
  r.end();
  return items;
}

// --- signed prekey bundles of group members (POST /v1/groups/{groupId}/prekey-bundles) ---
//
//   PrekeyBundlesRequest  = u16 count (1..MAX_PREKEY_BUNDLES_PER_REQUEST) || memberId(32) * count
//   PrekeyBundlesResponse = u16 count (0..MAX_PREKEY_BUNDLES_PER_REQUEST)
//                           || (memberId(32) || bytes16 bundle) * count
// Member IDs strictly ascending in both (so no duplicates). A bundle is a prekey bundle of
// crypto/src/wire/identity.ts with the signed prekey only (no one-time prekey: nothing is
// consumed). Members the relay has no signed prekey for are left out of the response.

/** Members per prekey-bundles request: a 100-member group's rekey needs one request. */
export const MAX_PREKEY_BUNDLES_PER_REQUEST = 100;

export interface PrekeyBundlesRequest {
  memberIds: Uint8Array[];
}
export interface PrekeyBundlesItem {
  memberId: Uint8Array;
  bundle: Uint8Array;
}

function checkAscending(ids: readonly Uint8Array[], field: string, fail: (msg: string) => never): void {
  for (let i = 1; i < ids.length; i++) {
    const a = ids[i - 1]!;
    const b = ids[i]!;
    let c = 0;
    for (let j = 0; j < MEMBER_ID_BYTES && c === 0; j++) c = a[j]! - b[j]!;
    if (c >= 0) fail(`${field} not strictly ascending at ${i}`);
  }
}

export function encodePrekeyBundlesRequest(b: PrekeyBundlesRequest): Uint8Array {
  const n = b.memberIds.length;
  if (n < 1 || n > MAX_PREKEY_BUNDLES_PER_REQUEST) throw new RangeError(`"memberIds" must hold 1..${MAX_PREKEY_BUNDLES_PER_REQUEST} IDs, got ${n}`);
  checkAscending(b.memberIds, '"memberIds"', (m) => {
    throw new RangeError(m);
  });
  const w = new WireWriter(2 + n * MEMBER_ID_BYTES).u16(n);
  for (const id of b.memberIds) w.fixed(id, MEMBER_ID_BYTES);
  return w.finish();
}
export function decodePrekeyBundlesRequest(bytes: Uint8Array): PrekeyBundlesRequest {
  const r = new WireReader(bytes, 'PrekeyBundlesRequest');
  const n = r.u16('count');
  if (n < 1 || n > MAX_PREKEY_BUNDLES_PER_REQUEST) r.fail('count', `outside 1..${MAX_PREKEY_BUNDLES_PER_REQUEST}`);
  const memberIds: Uint8Array[] = [];
  for (let i = 0; i < n; i++) memberIds.push(r.fixed('memberId', MEMBER_ID_BYTES));
  checkAscending(memberIds, 'memberId', (m) => r.fail('memberId', m));
  r.end();
  return { memberIds };
}

export function encodePrekeyBundlesResponse(items: PrekeyBundlesItem[]): Uint8Array {
  if (items.length > MAX_PREKEY_BUNDLES_PER_REQUEST) throw new RangeError(`"items" more than ${MAX_PREKEY_BUNDLES_PER_REQUEST}`);
  checkAscending(
    items.map((it) => it.memberId),
    '"items"',
    (m) => {
      throw new RangeError(m);
    },
  );
  let size = 2;
  for (const it of items) size += MEMBER_ID_BYTES + 2 + it.bundle.length;
  const w = new WireWriter(size).u16(items.length);
  for (const it of items) w.fixed(it.memberId, MEMBER_ID_BYTES).bytes16(it.bundle, MAX_SIGNED_PREKEY_BYTES);
  return w.finish();
}
export function decodePrekeyBundlesResponse(bytes: Uint8Array): PrekeyBundlesItem[] {
  const r = new WireReader(bytes, 'PrekeyBundlesResponse');
  const n = r.u16('count');
  if (n > MAX_PREKEY_BUNDLES_PER_REQUEST) r.fail('count', `more than ${MAX_PREKEY_BUNDLES_PER_REQUEST}`);
  const items: PrekeyBundlesItem[] = [];
  for (let i = 0; i < n; i++) items.push({ memberId: r.fixed('memberId', MEMBER_ID_BYTES), bundle: r.bytes16('bundle', MAX_SIGNED_PREKEY_BYTES, 1) });
  checkAscending(
    items.map((it) => it.memberId),
    'memberId',
    (m) => r.fail('memberId', m),
  );
  r.end();
  return items;
}
