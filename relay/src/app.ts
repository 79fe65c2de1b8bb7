// The relay's HTTP routes (Hono). An app factory: no listen; server.ts owns the socket.
// Bodies are binary (crypto/src/wire/http-bodies.ts); errors are JSON with a stable code.
// Route list and byte layouts: docs/RELAY.md "HTTP routes".
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { createWriteStream, createReadStream, statSync, renameSync, rmSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bytesToHex, equalBytes, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { verifyWithLabel } from '../../crypto/src/kdf';
import { SIG } from '../../crypto/src/labels';
import { isE2eeError } from '../../crypto/src/errors';
import {
  BLOB_ID_BYTES,
  decodeAuthChallengeRequest,
  decodeAuthSessionRequest,
  decodeInviteCreateRequest,
  decodeJoinRequestBody,
  decodeLogAppendRequest,
  decodePrekeyBundlesRequest,
  decodePrekeyUpload,
  encodeAuthChallengeResponse,
  encodeAuthSessionResponse,
  encodeJoinRequestList,
  encodeLogAppendResponse,
  encodeLogPage,
  encodeMessagePage,
  encodePrekeyBundlesResponse,
  encodeU64Body,
  INVITE_ID_BYTES,
  MAX_PAGE_ITEMS,
  MAX_PREKEY_BUNDLES_PER_REQUEST,
} from '../../crypto/src/wire/http-bodies';
import { decodePrekeyBundle, encodePrekeyBundle, prekeySignedData, verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { encodeRelayAuthChallenge, verifyRelayAuthAnswer } from '../../crypto/src/wire/relay-auth';
import { MAX_GROUP_ID_BYTES } from '../../crypto/src/wire/relay-frames';
import type { Primitives } from '../../crypto/src/primitives/types';
import { RelayError, type RelayCore } from './core';
import { renderNotifyMetrics } from './notify/metrics';
import { MAX_SUBSCRIPTION_BYTES } from './notify/types';
import type { Session } from './sessions';

type Env = { Bindings: HttpBindings; Variables: { session: Session } };
type C = Context<Env>;

const OCTETS = { 'content-type': 'application/octet-stream' };

function binary(c: C, bytes: Uint8Array, status: 200 | 201 = 200): Response {
  return c.body(bytes as Uint8Array<ArrayBuffer>, status, OCTETS);
}

function ipOf(c: C): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'local';
}

/**
 * Reads a request body up to `max` bytes, from the Node request when there is one (about
 * 4x faster than the Fetch body), else from the Fetch request (app.request in tests).
 */
export async function readBody(c: C, max: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > max) throw new RelayError('TOO_LARGE', 413, `body larger than ${max} bytes`);
  const incoming = c.env?.incoming;
  if (incoming && typeof incoming.on === 'function') {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let failed = false;
      incoming.on('data', (chunk: Buffer) => {
        if (failed) return;
        total += chunk.length;
        if (total > max) {
          failed = true;
          chunks.length = 0;
          reject(new RelayError('TOO_LARGE', 413, `body larger than ${max} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('end', () => {
        if (failed) return;
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
        resolve(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      });
      incoming.on('error', (e) => {
        if (!failed) reject(e);
      });
    });
  }
  const buf = new Uint8Array(await c.req.arrayBuffer());
  if (buf.length > max) throw new RelayError('TOO_LARGE', 413, `body larger than ${max} bytes`);
  return buf;
}

function hexParam(c: C, name: string, min: number, max: number): Uint8Array {
  const raw = c.req.param(name) ?? '';
  if (!/^[0-9a-f]*$/.test(raw) || raw.length < min * 2 || raw.length > max * 2 || raw.length % 2 !== 0) {
    throw new RelayError('MALFORMED', 400, `path parameter ${name} must be ${min}..${max} bytes of lowercase hex`);
  }
  return hexToBytes(raw);
}

function intQuery(c: C, name: string, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = c.req.query(name);
  if (raw === undefined) return dflt;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) throw new RelayError('MALFORMED', 400, `query ${name} must be an integer 0..${max}`);
  return Number(raw);
}

export function createApp(core: RelayCore, p: Primitives): Hono<Env> {
  const app = new Hono<Env>();
  const cfg = core.config;
  const audience = utf8Encode(cfg.audience);

  app.onError((err, c) => {
    if (err instanceof RelayError) {
      core.metrics.error(err.code);
      return c.json({ error: `E2E_ERR_RELAY_${err.code}`, message: err.message }, err.status as 400);
    }
    if (isE2eeError(err)) {
      // A body that does not decode: the decoder's message names the structure and field only.
      core.metrics.error('MALFORMED');
      return c.json({ error: 'E2E_ERR_RELAY_MALFORMED', message: err.message }, 400);
    }
    core.metrics.error('INTERNAL');
    return c.json({ error: 'E2E_ERR_RELAY_INTERNAL', message: 'internal error' }, 500);
  });

  app.notFound((c) => c.json({ error: 'E2E_ERR_RELAY_NOT_FOUND', message: 'no such route' }, 404));

  // Per-IP rate limit and latency metrics on every route.
  app.use('*', async (c, next) => {
    const started = performance.now();
    if (!core.ipLimiter.take(ipOf(c), core.now())) throw new RelayError('RATE_LIMITED', 429, 'too many requests from this address');
    await next();
    core.metrics.http(c.req.routePath ?? 'unknown', c.res.status, (performance.now() - started) / 1000);
  });

  const auth = async (c: C, next: () => Promise<void>) => {
    const h = c.req.header('authorization') ?? '';
    const m = /^Bearer ([0-9a-f]{64})$/.exec(h);
    if (!m) throw new RelayError('UNAUTHENTICATED', 401, 'missing or malformed bearer token');
    const s = core.sessions.lookup(hexToBytes(m[1]!), core.now());
    if (s === 'expired') throw new RelayError('TOKEN_EXPIRED', 401, 'session token expired: log in again');
    if (!s) throw new RelayError('UNAUTHENTICATED', 401, 'unknown session token');
    c.set('session', s);
    await next();
  };

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/metrics', async (c) => {
    core.metrics.dbSizeBytes = await core.store.sizeBytes();
    const notify = core.notify ? renderNotifyMetrics(core.notify.stats, core.notify.notifierName) : '';
    return c.text(core.metrics.render() + notify, 200, { 'content-type': 'text/plain; version=0.0.4' });
  });

  // --- auth ----------------------------------------------------------------------
  app.post('/v1/auth/challenge', async (c) => {
    const req = decodeAuthChallengeRequest(await readBody(c, 1024));
    if (!p.ed25519IsAcceptablePublicKey(req.identityKey)) throw new RelayError('MALFORMED', 400, 'identity key rejected');
    const now = core.now();
    const n = core.sessions.issueNonce(now);
    if (!n) throw new RelayError('RATE_LIMITED', 503, 'too many outstanding challenges');
    const challenge = encodeRelayAuthChallenge({ audience, nonce: n.nonce, identityKey: req.identityKey, issuedAt: now, expiresAt: n.expiresAt });
    return binary(c, encodeAuthChallengeResponse({ challenge }));
  });

  app.post('/v1/auth/session', async (c) => {
    const req = decodeAuthSessionRequest(await readBody(c, 1024));
    const now = core.now();
    let ch;
    try {
      ch = verifyRelayAuthAnswer(p, req.challenge, req.signature, audience, now);
    } catch {
      throw new RelayError('UNAUTHENTICATED', 401, 'challenge answer rejected');
    }
    // Single use: a replayed (or never issued) challenge fails here even with a good signature.
    if (!core.sessions.consumeNonce(ch.nonce, now)) throw new RelayError('UNAUTHENTICATED', 401, 'challenge answer rejected');
    const memberId = core.enforcer.memberIdOf(ch.identityKey);
    const deviceRef = await core.store.upsertDevice(memberId, ch.identityKey, now);
    const { token, session } = core.sessions.issueToken(memberId, deviceRef, now);
    return binary(c, encodeAuthSessionResponse({ token, memberId, expiresAt: session.expiresAt }));
  });

  // --- prekeys -------------------------------------------------------------------
  app.put('/v1/prekeys', auth, async (c) => {
    const s = c.get('session');
    const up = decodePrekeyUpload(await readBody(c, cfg.maxBodyBytes));
    const identityKey = await core.store.identityKey(s.deviceRef);
    if (!identityKey) throw new RelayError('UNAUTHENTICATED', 401, 'unknown device');
    // Every prekey must be signed by the uploading device: the relay stores nothing it could not hand out.
    if (up.signedPrekey.length > 0) {
      let bundle;
      try {
        bundle = verifyPrekeyBundle(p, up.signedPrekey);
      } catch {
        throw new RelayError('MALFORMED', 400, 'signed prekey bundle does not decode or verify');
      }
      if (!equalBytes(bundle.identityKey, identityKey) || bundle.oneTimePrekey) {
        throw new RelayError('FORBIDDEN', 403, 'the bundle must be your own, without a one-time prekey');
      }
    }
    for (const k of up.oneTimePrekeys) {
      if (k.key.length !== 96) throw new RelayError('MALFORMED', 400, 'one-time prekey must be publicKey[32] || signature[64]');
      const data = prekeySignedData(identityKey, k.id, k.key.subarray(0, 32));
      if (!verifyWithLabel(p, identityKey, SIG.ONE_TIME_PREKEY, data, k.key.subarray(32))) {
        throw new RelayError('MALFORMED', 400, 'one-time prekey signature does not verify');
      }
    }
    await core.store.putPrekeys(s.deviceRef, up.signedPrekey.length ? up.signedPrekey : null, up.oneTimePrekeys, core.now());
    return c.body(null, 204);
  });

  // --- notifications (opt-in, content-free: docs/RELAY.md "Notifications") ---------------
  app.put('/v1/notify/subscription', auth, async (c) => {
    if (!core.notify) throw new RelayError('NOT_FOUND', 404, 'notifications are off on this relay');
    const body = await readBody(c, MAX_SUBSCRIPTION_BYTES);
    if (body.length < 1) throw new RelayError('MALFORMED', 400, `subscription must be 1..${MAX_SUBSCRIPTION_BYTES} bytes`);
    await core.store.putNotifySubscription(c.get('session').deviceRef, body, core.now());
    return c.body(null, 204);
  });

  app.delete('/v1/notify/subscription', auth, async (c) => {
    await core.store.deleteNotifySubscription(c.get('session').deviceRef);
    return c.body(null, 204);
  });

  app.post('/v1/members/:memberId/prekey-claim', auth, async (c) => {
    const s = c.get('session');
    if (!core.claimLimiter.take(s.memberHex, core.now())) throw new RelayError('RATE_LIMITED', 429, 'too many prekey claims');
    const target = hexParam(c, 'memberId', 32, 32);
    const r = await core.store.claimPrekey(target);
    if (!r || !r.signedPrekey) throw new RelayError('NOT_FOUND', 404, 'no prekeys published for this member');
    const stored = decodePrekeyBundle(r.signedPrekey);
    const oneTimePrekey = r.oneTime ? { id: r.oneTime.id, publicKey: r.oneTime.key.subarray(0, 32), signature: r.oneTime.key.subarray(32) } : null;
    return binary(c, encodePrekeyBundle({ ...stored, oneTimePrekey }));
  });

  // The signed prekey bundles of up to MAX_PREKEY_BUNDLES_PER_REQUEST members of one group,
  // for a member of that group to box an epoch secret to them (a kick or a rotation). Only
  // signed prekeys: no one-time prekey is handed out, so a commit drains nobody.
  app.post('/v1/groups/:groupId/prekey-bundles', auth, async (c) => {
    const s = c.get('session');
    if (!core.bundleLimiter.take(s.memberHex, core.now())) throw new RelayError('RATE_LIMITED', 429, 'too many prekey-bundle requests');
    const groupId = hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES);
    const req = decodePrekeyBundlesRequest(await readBody(c, 2 + 32 * MAX_PREKEY_BUNDLES_PER_REQUEST));
    const g = await core.servedGroup(s, groupId);
    for (const id of req.memberIds) {
      if (g.view.memberIndex(bytesToHex(id)) < 0) throw new RelayError('FORBIDDEN', 403, 'a requested member is not in this group');
    }
    const found = await core.store.signedPrekeys(req.memberIds);
    const byHex = new Map(found.map((f) => [bytesToHex(f.memberId), f.signedPrekey]));
    const items = [];
    for (const id of req.memberIds) {
      const bundle = byHex.get(bytesToHex(id));
      if (bundle) items.push({ memberId: id, bundle });
    }
    return binary(c, encodePrekeyBundlesResponse(items));
  });

  // --- groups and the log ------------------------------------------------------------
  app.post('/v1/groups', auth, async (c) => {
    const req = decodeLogAppendRequest(await readBody(c, cfg.maxBodyBytes));
    if (req.expectedHead.some((b) => b !== 0)) throw new RelayError('MALFORMED', 400, 'a create has an all-zero expected head');
    const r = await core.createGroup(c.get('session'), req.entry, req.envelopes);
    return binary(c, encodeLogAppendResponse(r), 201);
  });

  app.post('/v1/groups/:groupId/log', auth, async (c) => {
    const groupId = hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES);
    const req = decodeLogAppendRequest(await readBody(c, cfg.maxBodyBytes));
    const r = await core.appendLog(c.get('session'), groupId, req.expectedHead, req.entry, req.envelopes);
    return binary(c, encodeLogAppendResponse(r));
  });

  app.get('/v1/groups/:groupId/log', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    const m = await core.store.membership(g.ref, s.deviceRef);
    const from = Math.max(intQuery(c, 'from', 0), m?.joinedLog ?? 0);
    const limit = intQuery(c, 'limit', 100, MAX_PAGE_ITEMS) || 1;
    const items = await core.store.readLog(g.ref, from - 1, limit + 1, s.memberId);
    return binary(c, encodeLogPage({ items: items.slice(0, limit), more: items.length > limit }));
  });

  app.get('/v1/groups/:groupId/messages', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    const m = await core.store.membership(g.ref, s.deviceRef);
    const after = Math.max(intQuery(c, 'after', 0), m?.joinedSeq ?? 0);
    const limit = intQuery(c, 'limit', 100, MAX_PAGE_ITEMS) || 1;
    const rows = await core.store.readMessages(g.ref, after, limit + 1);
    const items = rows.slice(0, limit).map((r) => ({ seq: r.seq, sender: r.sender, epoch: r.epoch, sentAt: r.sentAt, ciphertext: r.body }));
    return binary(c, encodeMessagePage({ items, more: rows.length > limit }, cfg.maxMessageBytes));
  });

  // --- blobs ---------------------------------------------------------------------------
  app.post('/v1/groups/:groupId/blobs', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    if (!g.view.maySendMedia(s.memberHex)) throw new RelayError('FORBIDDEN', 403, 'the policy does not let you send files or media');
    const id = core.newTimeOrderedId();
    const size = await writeBlob(c, join(core.blobDir, bytesToHex(id)), cfg.maxBlobBytes);
    await core.store.putBlobMeta(id, g.ref, size, core.now());
    return binary(c, id, 201);
  });

  app.get('/v1/blobs/:blobId', auth, async (c) => {
    const s = c.get('session');
    const id = hexParam(c, 'blobId', BLOB_ID_BYTES, BLOB_ID_BYTES);
    const ref = await core.store.blobGroup(id);
    if (ref === null) throw new RelayError('NOT_FOUND', 404, 'no such blob');
    const g = await core.groupByRef(ref);
    if (!g || !g.view.served.has(s.memberHex)) throw new RelayError('NOT_MEMBER', 403, 'not a member of the blob’s group');
    const path = join(core.blobDir, bytesToHex(id));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new RelayError('NOT_FOUND', 404, 'no such blob');
    }
    const stream = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return c.body(stream, 200, { ...OCTETS, 'content-length': String(size) });
  });

  // --- invites and join requests ------------------------------------------------------------
  app.post('/v1/groups/:groupId/invites', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    if (!g.view.mayInvite(s.memberHex)) throw new RelayError('FORBIDDEN', 403, 'your role may not invite');
    const req = decodeInviteCreateRequest(await readBody(c, 64));
    if (req.expiresAt <= core.now()) throw new RelayError('MALFORMED', 400, 'invite expiry is in the past');
    const id = core.newTimeOrderedId();
    await core.store.createInvite(id, g.ref, req.expiresAt, req.maxUses, core.now());
    return binary(c, id, 201);
  });

  app.post('/v1/invites/:inviteId/join-requests', auth, async (c) => {
    const s = c.get('session');
    const inviteId = hexParam(c, 'inviteId', INVITE_ID_BYTES, INVITE_ID_BYTES);
    const body = decodeJoinRequestBody(await readBody(c, 8192));
    const r = await core.store.useInvite(inviteId, s.deviceRef, body, core.now());
    if (!r.ok) {
      if (r.reason === 'unknown') throw new RelayError('NOT_FOUND', 404, 'no such invite');
      throw new RelayError('EXPIRED', 410, r.reason === 'expired' ? 'invite expired' : 'invite used up');
    }
    const g = await core.groupByRef(r.groupRef);
    if (g) core.notifyJoinRequest(g, r.requestId);
    return binary(c, encodeU64Body(r.requestId), 201);
  });

  app.get('/v1/groups/:groupId/join-requests', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    if (!g.view.mayApproveJoin(s.memberHex)) throw new RelayError('FORBIDDEN', 403, 'your role may not approve joins');
    const rows = await core.store.listJoinRequests(g.ref, intQuery(c, 'after', 0), intQuery(c, 'limit', 100, MAX_PAGE_ITEMS) || 1);
    return binary(c, encodeJoinRequestList(rows.map((r) => ({ requestId: r.id, inviteId: r.inviteId, createdAt: r.createdAt, body: r.body }))));
  });

  app.delete('/v1/groups/:groupId/join-requests/:requestId', auth, async (c) => {
    const s = c.get('session');
    const g = await core.servedGroup(s, hexParam(c, 'groupId', 1, MAX_GROUP_ID_BYTES));
    if (!g.view.mayApproveJoin(s.memberHex)) throw new RelayError('FORBIDDEN', 403, 'your role may not approve joins');
    const raw = c.req.param('requestId') ?? '';
    if (!/^\d{1,15}$/.test(raw)) throw new RelayError('MALFORMED', 400, 'request ID must be an integer');
    if (!(await core.store.deleteJoinRequest(g.ref, Number(raw)))) throw new RelayError('NOT_FOUND', 404, 'no such join request');
    return c.body(null, 204);
  });

  return app;
}

/** Streams a blob body to `path` (temp file, fsync, rename) with a size cap. Returns its size. */
async function writeBlob(c: C, path: string, max: number): Promise<number> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > max) throw new RelayError('TOO_LARGE', 413, `blob larger than ${max} bytes`);
  const tmp = `${path}.part`;
  const out = createWriteStream(tmp);
  // A stream destroyed with a write in flight (an upload over the cap or aborted mid-way)
  // emits ERR_STREAM_DESTROYED afterwards: without a listener that is an uncaught exception
  // and ends the process. Write errors still surface through the drain wait and end().
  let writeError: Error | null = null;
  out.on('error', (e) => (writeError ??= e));
  let total = 0;
  try {
    const incoming = c.env?.incoming;
    const source: AsyncIterable<Uint8Array> =
      incoming && typeof incoming.on === 'function' ? incoming : (Readable.fromWeb((c.req.raw.body ?? emptyStream()) as never) as AsyncIterable<Uint8Array>);
    for await (const chunk of source) {
      total += chunk.length;
      if (total > max) throw new RelayError('TOO_LARGE', 413, `blob larger than ${max} bytes`);
      if (writeError) throw writeError;
      if (!out.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (e: Error) => {
            out.off('drain', onDrain);
            reject(e);
          };
          const onDrain = () => {
            out.off('error', onError);
            resolve();
          };
          out.once('drain', onDrain);
          out.once('error', onError);
        });
      }
    }
    if (total === 0) throw new RelayError('MALFORMED', 400, 'empty blob');
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    return total;
  } catch (e) {
    // Remove the temp file only once the stream has closed it: a stream destroyed while its
    // file is still opening creates the file afterwards, and would leave a .part file behind.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', resolve).destroy());
    rmSync(tmp, { force: true });
    throw e;
  }
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (ctl) => ctl.close() });
}
