// One typed call per HTTP route of the relay (docs/RELAY.md "HTTP routes"). Bodies go
// through crypto/src/wire/http-bodies.ts; a refusal's JSON body becomes a RelayRefusalError
// (`E2E_ERR_RELAY_<NAME>`, relayError, status); anything else unexpected (status, content
// type, size, bytes that do not decode) is a typed E2eeError, never a crash.
import { assertBytes, assertInteger, bytesToHex, equalBytes, utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';
import { E2eeError } from '../../../crypto/src/errors';
import {
  BLOB_ID_BYTES,
  decodeAuthChallengeResponse,
  decodeAuthSessionResponse,
  decodeIdBody,
  decodeJoinRequestList,
  decodeLogAppendResponse,
  decodeLogPage,
  decodeMessagePage,
  decodePrekeyBundlesResponse,
  decodeU64Body,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
  encodeInviteCreateRequest,
  encodeLogAppendRequest,
  encodePrekeyBundlesRequest,
  encodePrekeyUpload,
  INVITE_ID_BYTES,
  MAX_JOIN_REQUEST_BYTES,
  MAX_PAGE_ITEMS,
  MAX_PREKEY_BUNDLES_PER_REQUEST,
  MAX_SIGNED_PREKEY_BYTES,
} from '../../../crypto/src/wire/http-bodies';
import { decodeRelayAuthChallenge, RELAY_AUTH_FAILED } from '../../../crypto/src/wire/relay-auth';
import { MAX_GROUP_ID_BYTES, MEMBER_ID_BYTES } from '../../../crypto/src/wire/relay-frames';
import { NET_BAD_RESPONSE, RelayRefusalError, relayNameOfCode } from './errors';
import type { HttpRequest, HttpResponse, Platform, RelayApi, Session } from './types';

export interface RelayApiOptions {
  /** Per-request timeout, ms. Default 15 000. */
  timeoutMs?: number;
  /** Blob upload/download timeout, ms. Default 120 000. */
  blobTimeoutMs?: number;
  /** Largest non-blob response body accepted, bytes. Default 16 MiB. */
  maxResponseBytes?: number;
  /** Largest blob downloaded, bytes. Default 100 MiB (the relay's default cap). */
  maxBlobBytes?: number;
  /** Largest message ciphertext inside a MessagePage, bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /**
   * The relay's audience (public host name). When set, login refuses a challenge that
   * names another relay (E2E_ERR_RELAY_AUTH_FAILED) instead of signing it.
   */
  audience?: string;
  /**
   * Called when a request needs a session and there is none, or the relay answered 401
   * (UNAUTHENTICATED / TOKEN_EXPIRED): log in again and answer the new session. The
   * request is then retried once. `refused` is the session the relay refused (undefined
   * when there was none). Without it such requests reject.
   */
  renewSession?: (refused: Session | undefined) => Promise<Session>;
}

export const RELAY_API_DEFAULTS = {
  timeoutMs: 15_000,
  blobTimeoutMs: 120_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxBlobBytes: 100 * 1024 * 1024,
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

/** Largest JSON error body read from the relay. */
const MAX_ERROR_BODY_BYTES = 4096;
/** Largest notification subscription token (docs/RELAY.md "Notifications"). */
export const MAX_SUBSCRIPTION_BYTES = 256;
const OCTETS = 'application/octet-stream';

interface Call {
  op: string;
  method: HttpRequest['method'];
  path: string;
  body?: Uint8Array;
  /** Statuses that count as success. */
  ok: readonly number[];
  /** Sent without a session (the two login calls); every other call carries the bearer token. */
  anonymous?: true;
  /** Statuses answered as `null` instead of an error (prekey claim 404). */
  absent?: readonly number[];
  timeoutMs?: number;
  maxBytes?: number;
}

export function createRelayApi(platform: Platform, baseUrl: string, session: () => Session | undefined, opts: RelayApiOptions = {}): RelayApi {
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(baseUrl)) throw new TypeError('"baseUrl" must be an http:// or https:// URL without query');
  const base = baseUrl.replace(/\/+$/, '');
  const cfg = { ...RELAY_API_DEFAULTS, ...definedOnly(opts) };
  const audience = opts.audience === undefined ? undefined : utf8Encode(opts.audience);

  async function send(c: Call, s: Session | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = {};
    if (!c.anonymous && s) headers.authorization = `Bearer ${bytesToHex(s.token)}`;
    if (c.body) headers['content-type'] = OCTETS;
    const max = c.maxBytes ?? cfg.maxResponseBytes;
    const req: HttpRequest = { method: c.method, url: base + c.path, headers, timeoutMs: c.timeoutMs ?? cfg.timeoutMs, maxResponseBytes: Math.max(max, MAX_ERROR_BODY_BYTES) };
    if (c.body) req.body = c.body;
    return platform.request(req);
  }

  /** Runs a call; answers the body of a success, null for an `absent` status; throws otherwise. */
  async function call(c: Call): Promise<Uint8Array | null> {
    const auth = !c.anonymous;
    let s = auth ? session() : undefined;
    let renewed = false;
    if (auth && !s) {
      if (!opts.renewSession) throw new RelayRefusalError('UNAUTHENTICATED', 0, 'not logged in', c.op);
      s = await opts.renewSession(undefined);
      renewed = true;
    }
    for (;;) {
      const res = await send(c, s);
      if (c.ok.includes(res.status)) return checkSuccess(c, res);
      if (c.absent?.includes(res.status)) return null;
      const err = refusalOf(c.op, res);
      if (auth && !renewed && opts.renewSession && res.status === 401 && (err.relayError === 'TOKEN_EXPIRED' || err.relayError === 'UNAUTHENTICATED')) {
        // Refused at the auth check, before any effect: safe to retry once with a fresh session.
        s = await opts.renewSession(s);
        renewed = true;
        continue;
      }
      throw err;
    }
  }

  function checkSuccess(c: Call, res: HttpResponse): Uint8Array {
    const max = c.maxBytes ?? cfg.maxResponseBytes;
    if (res.body.length > max) throw new E2eeError(NET_BAD_RESPONSE, `response larger than ${max} bytes`, c.op);
    if (res.status === 204) return new Uint8Array(0);
    if (!res.contentType.startsWith(OCTETS)) throw new E2eeError(NET_BAD_RESPONSE, `unexpected content type for HTTP ${res.status}`, c.op);
    return res.body;
  }

  const withOp = <T>(op: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      // Decoders throw E2E_ERR_MALFORMED naming the structure; keep it, say where.
      if (e instanceof E2eeError) throw new E2eeError(e.code, e.message, op);
      throw e;
    }
  };

  const groupPath = (groupId: Uint8Array) => {
    assertBytes('groupId', groupId);
    if (groupId.length < 1 || groupId.length > MAX_GROUP_ID_BYTES) throw new RangeError(`"groupId" expected 1..${MAX_GROUP_ID_BYTES} bytes, got length=${groupId.length}`);
    return `/v1/groups/${bytesToHex(groupId)}`;
  };
  const page = (name: string, v: number) => assertInteger(name, v, 1, MAX_PAGE_ITEMS);
  const must = (b: Uint8Array | null): Uint8Array => b ?? new Uint8Array(0);

  return {
    async login(identityKey, sign) {
      assertBytes('identityKey', identityKey, 32);
      const op = 'login';
      const chBody = must(await call({ op, method: 'POST', path: '/v1/auth/challenge', body: encodeAuthChallengeRequest({ identityKey }), ok: [200], anonymous: true }));
      const { challenge } = withOp(op, () => decodeAuthChallengeResponse(chBody));
      // Sign only a challenge for this key (and this relay, when the audience is known).
      const parsed = withOp(op, () => decodeRelayAuthChallenge(challenge));
      if (!equalBytes(parsed.identityKey, identityKey) || (audience && !equalBytes(parsed.audience, audience))) {
        throw new E2eeError(RELAY_AUTH_FAILED, 'auth challenge is not for this device or relay', op);
      }
      const signature = sign(challenge);
      assertBytes('signature', signature, 64);
      const sBody = must(await call({ op, method: 'POST', path: '/v1/auth/session', body: encodeAuthSessionRequest({ challenge, signature }), ok: [200], anonymous: true }));
      const r = withOp(op, () => decodeAuthSessionResponse(sBody));
      return { token: r.token, memberId: r.memberId, expiresAt: r.expiresAt, lifetimeMs: Math.max(0, r.expiresAt - parsed.issuedAt) };
    },

    async uploadPrekeys(upload) {
      await call({ op: 'uploadPrekeys', method: 'PUT', path: '/v1/prekeys', body: encodePrekeyUpload(upload), ok: [204, 200] });
    },

    async claimPrekey(memberId) {
      assertBytes('memberId', memberId, MEMBER_ID_BYTES);
      return call({ op: 'claimPrekey', method: 'POST', path: `/v1/members/${bytesToHex(memberId)}/prekey-claim`, ok: [200], absent: [404], maxBytes: 8192 });
    },

    async fetchPrekeyBundles(groupId, memberIds) {
      const op = 'fetchPrekeyBundles';
      const path = `${groupPath(groupId)}/prekey-bundles`;
      if (!Array.isArray(memberIds) || memberIds.length < 1 || memberIds.length > MAX_PREKEY_BUNDLES_PER_REQUEST) {
        throw new RangeError(`"memberIds" expected 1..${MAX_PREKEY_BUNDLES_PER_REQUEST} member IDs`);
      }
      for (const id of memberIds) assertBytes('memberIds[i]', id, MEMBER_ID_BYTES);
      const asked = new Map(memberIds.map((id) => [bytesToHex(id), id]));
      if (asked.size !== memberIds.length) throw new RangeError('"memberIds" holds a member ID twice');
      // Lowercase hex sorts as the bytes do: the wire wants ascending IDs.
      const sorted = [...asked.keys()].sort().map((h) => asked.get(h)!);
      const maxBytes = 2 + MAX_PREKEY_BUNDLES_PER_REQUEST * (MEMBER_ID_BYTES + 2 + MAX_SIGNED_PREKEY_BYTES);
      const body = must(await call({ op, method: 'POST', path, body: encodePrekeyBundlesRequest({ memberIds: sorted }), ok: [200], maxBytes }));
      const items = withOp(op, () => decodePrekeyBundlesResponse(body));
      // Only what was asked for: anything else is a relay fault, not data to act on.
      for (const it of items) if (!asked.has(bytesToHex(it.memberId))) throw new E2eeError(NET_BAD_RESPONSE, 'a prekey bundle for a member not asked for', op);
      return items;
    },

    async createGroup(req) {
      const op = 'createGroup';
      const body = must(await call({ op, method: 'POST', path: '/v1/groups', body: encodeLogAppendRequest(req), ok: [201], maxBytes: 1024 }));
      return withOp(op, () => decodeLogAppendResponse(body));
    },

    async appendLog(groupId, req) {
      const op = 'appendLog';
      const body = must(await call({ op, method: 'POST', path: `${groupPath(groupId)}/log`, body: encodeLogAppendRequest(req), ok: [200, 201], maxBytes: 1024 }));
      return withOp(op, () => decodeLogAppendResponse(body));
    },

    async fetchLog(groupId, from, limit) {
      const op = 'fetchLog';
      assertInteger('from', from);
      const body = must(await call({ op, method: 'GET', path: `${groupPath(groupId)}/log?from=${from}&limit=${page('limit', limit)}`, ok: [200] }));
      return withOp(op, () => decodeLogPage(body));
    },

    async fetchMessages(groupId, after, limit) {
      const op = 'fetchMessages';
      assertInteger('after', after);
      const body = must(await call({ op, method: 'GET', path: `${groupPath(groupId)}/messages?after=${after}&limit=${page('limit', limit)}`, ok: [200] }));
      return withOp(op, () => decodeMessagePage(body, cfg.maxMessageBytes));
    },

    async uploadBlob(groupId, blob) {
      const op = 'uploadBlob';
      assertBytes('blob', blob);
      if (blob.length < 1) throw new RangeError('"blob" must not be empty');
      const body = must(await call({ op, method: 'POST', path: `${groupPath(groupId)}/blobs`, body: blob, ok: [201], timeoutMs: cfg.blobTimeoutMs, maxBytes: 64 }));
      return withOp(op, () => decodeIdBody(body, 'BlobId', BLOB_ID_BYTES));
    },

    async downloadBlob(blobId) {
      assertBytes('blobId', blobId, BLOB_ID_BYTES);
      return must(await call({ op: 'downloadBlob', method: 'GET', path: `/v1/blobs/${bytesToHex(blobId)}`, ok: [200], timeoutMs: cfg.blobTimeoutMs, maxBytes: cfg.maxBlobBytes }));
    },

    async createInvite(groupId, req) {
      const op = 'createInvite';
      const body = must(await call({ op, method: 'POST', path: `${groupPath(groupId)}/invites`, body: encodeInviteCreateRequest(req), ok: [201], maxBytes: 64 }));
      return withOp(op, () => decodeIdBody(body, 'InviteId', INVITE_ID_BYTES));
    },

    async requestJoin(inviteId, joinBody) {
      const op = 'requestJoin';
      assertBytes('inviteId', inviteId, INVITE_ID_BYTES);
      assertBytes('body', joinBody);
      if (joinBody.length < 1 || joinBody.length > MAX_JOIN_REQUEST_BYTES) throw new RangeError(`"body" expected 1..${MAX_JOIN_REQUEST_BYTES} bytes, got length=${joinBody.length}`);
      const body = must(await call({ op, method: 'POST', path: `/v1/invites/${bytesToHex(inviteId)}/join-requests`, body: joinBody, ok: [201], maxBytes: 64 }));
      return withOp(op, () => decodeU64Body(body, 'JoinRequestId'));
    },

    async listJoinRequests(groupId, after, limit) {
      const op = 'listJoinRequests';
      assertInteger('after', after);
      const body = must(await call({ op, method: 'GET', path: `${groupPath(groupId)}/join-requests?after=${after}&limit=${page('limit', limit)}`, ok: [200] }));
      return withOp(op, () => decodeJoinRequestList(body));
    },

    async deleteJoinRequest(groupId, requestId) {
      assertInteger('requestId', requestId);
      await call({ op: 'deleteJoinRequest', method: 'DELETE', path: `${groupPath(groupId)}/join-requests/${requestId}`, ok: [204, 200], maxBytes: 0 });
    },

    async subscribeNotifications(subscription) {
      assertBytes('subscription', subscription);
      if (subscription.length < 1 || subscription.length > MAX_SUBSCRIPTION_BYTES) {
        throw new RangeError(`"subscription" expected 1..${MAX_SUBSCRIPTION_BYTES} bytes, got length=${subscription.length}`);
      }
      await call({ op: 'subscribeNotifications', method: 'PUT', path: '/v1/notify/subscription', body: subscription, ok: [204, 200], maxBytes: 0 });
    },

    async unsubscribeNotifications() {
      await call({ op: 'unsubscribeNotifications', method: 'DELETE', path: '/v1/notify/subscription', ok: [204, 200], maxBytes: 0 });
    },
  };
}

/**
 * The refusal in an error response: JSON `{"error": "E2E_ERR_RELAY_<NAME>", "message": ...}`
 * with a known name. Anything else (HTML from a proxy, an unknown name, a 5xx without
 * JSON) is E2E_ERR_NET_BAD_RESPONSE naming only the status.
 */
export function refusalOf(op: string, res: HttpResponse): RelayRefusalError {
  const bad = (): never => {
    throw new E2eeError(NET_BAD_RESPONSE, `unexpected HTTP ${res.status} from relay`, op);
  };
  if (!res.contentType.startsWith('application/json') || res.body.length > MAX_ERROR_BODY_BYTES) return bad();
  const text = utf8DecodeStrict(res.body);
  if (text === null) return bad();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bad();
  }
  if (typeof json !== 'object' || json === null) return bad();
  const o = json as { error?: unknown; message?: unknown };
  const name = relayNameOfCode(o.error);
  if (!name) return bad();
  return new RelayRefusalError(name!, res.status, typeof o.message === 'string' ? o.message : '', op);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
