// Targets for the relay: HTTP bodies and paths through the real Hono app (app.request, no
// socket), and WebSocket frames through the real server's frame handler (loopback socket,
// in-process relay). A 500, an INTERNAL error frame, an undocumented close code or an
// uncaught exception in the relay is a failure.
import WebSocket from 'ws';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import * as bodies from '../../crypto/src/wire/http-bodies';
import { CLOSE, decodeClientFrame, decodeRelayFrame, encodeClientFrame, FRAME, RELAY_ERROR, relayErrorName, type RelayFrame } from '../../crypto/src/wire/relay-frames';
import { appFixture, type AppFixture } from '../../relay/test/helpers/app';
import { append, login } from '../../relay/test/helpers/client';
import { buildAdd, buildCreate, fakeGroupMessage, makeDevice, senderIndexOf, type Device } from '../../relay/test/helpers/log';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import { Prng } from '../prng';
import { FuzzFailure, type Stage, type Target } from '../target';

const RELAY_LIMITS = { rateLimitPerIp: 10_000_000, sendRatePerIdentity: 1_000_000, claimRatePerMinute: 1_000_000, bundleRatePerMinute: 1_000_000 };

/** A field named by a decoder message that is its first check (see target.ts). */
function decoderFirst(message: string): boolean {
  const field = message.split(': ')[1] ?? '';
  return ['version', 'type', 'magic', 'length'].includes(field);
}

// --- HTTP -------------------------------------------------------------------------------

interface Route {
  method: string;
  /** Path for this input (the path-fuzz route builds it from the input). */
  path: (body: Uint8Array) => string;
  auth: boolean;
  /** The body sent; the path-fuzz route sends none. */
  body: boolean;
}

export function relayHttpTarget(): Target {
  let fx: AppFixture | null = null;
  let token: Uint8Array = new Uint8Array(0);
  let groupHex = '';
  let owner: Device | null = null;
  const routes: Route[] = [];
  const seeds: Uint8Array[] = [];
  const withRoute = (i: number, body: Uint8Array) => {
    const out = new Uint8Array(1 + body.length);
    out[0] = i;
    out.set(body, 1);
    return out;
  };
  return {
    name: 'relay-http',
    entry: 'relay/src/app.ts every body-taking route and the path/query parsers, through app.request',
    firstCheck: 'route selector ok and the body decoder’s first field (a 400 naming it), or the path pattern',
    async open() {
      fx = await appFixture(RELAY_LIMITS);
      const p = fx.p;
      const a = makeDevice(p);
      const b = makeDevice(p);
      owner = a;
      token = await fx.login(a);
      await fx.login(b);
      const c = buildCreate(p, a);
      const r1 = await fx.req('POST', '/v1/groups', bodies.encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry: c.entry, envelopes: [] }), token);
      if (r1.status !== 201) throw new Error(`fixture: create failed ${r1.status}`);
      const add = buildAdd(p, a, c.state, [b]);
      const r2 = await fx.req('POST', `/v1/groups/${bytesToHex(c.state.groupId)}/log`, bodies.encodeLogAppendRequest({ expectedHead: c.state.headHash, entry: add.entry, envelopes: add.envelopes }), token);
      if (r2.status !== 200) throw new Error(`fixture: add failed ${r2.status}`);
      groupHex = bytesToHex(c.state.groupId);
      const inv = await fx.req('POST', `/v1/groups/${groupHex}/invites`, bodies.encodeInviteCreateRequest({ expiresAt: fx.clock.now + 86_400_000, maxUses: 1_000_000 }), token);
      const inviteHex = bytesToHex(inv.bytes);
      const latin1 = (b: Uint8Array) => Array.from(b, (x) => encodeURIComponent(String.fromCharCode(x))).join('');
      routes.push(
        { method: 'POST', path: () => '/v1/auth/challenge', auth: false, body: true },
        { method: 'POST', path: () => '/v1/auth/session', auth: false, body: true },
        { method: 'PUT', path: () => '/v1/prekeys', auth: true, body: true },
        { method: 'POST', path: () => '/v1/groups', auth: true, body: true },
        { method: 'POST', path: () => `/v1/groups/${groupHex}/log`, auth: true, body: true },
        { method: 'POST', path: () => `/v1/groups/${groupHex}/invites`, auth: true, body: true },
        { method: 'POST', path: () => `/v1/invites/${inviteHex}/join-requests`, auth: true, body: true },
        { method: 'GET', path: (b) => `/v1/${latin1(b)}`, auth: true, body: false },
        { method: 'POST', path: (b) => `/v1/${latin1(b)}`, auth: true, body: false },
        { method: 'DELETE', path: (b) => `/v1/${latin1(b)}`, auth: true, body: false },
        // Appended last: a route's index is the input's first byte modulo the count.
        { method: 'POST', path: () => `/v1/groups/${groupHex}/prekey-bundles`, auth: true, body: true },
      );
      const ch = await fx.req('POST', '/v1/auth/challenge', bodies.encodeAuthChallengeRequest({ identityKey: a.identityKey }));
      const challenge = bodies.decodeAuthChallengeResponse(ch.bytes).challenge;
      const rng = new Prng('relay-http seeds');
      const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
      seeds.push(
        withRoute(0, bodies.encodeAuthChallengeRequest({ identityKey: b.identityKey })),
        withRoute(1, bodies.encodeAuthSessionRequest({ challenge, signature: rng.bytes(64) })),
        withRoute(2, bodies.encodePrekeyUpload({ signedPrekey: new Uint8Array(0), oneTimePrekeys: [{ id: 1, key: rng.bytes(96) }] })),
        withRoute(3, bodies.encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry: buildCreate(p, a).entry, envelopes: [] })),
        withRoute(4, bodies.encodeLogAppendRequest({ expectedHead: add.state.headHash, entry: add.entry, envelopes: add.envelopes })),
        withRoute(5, bodies.encodeInviteCreateRequest({ expiresAt: fx.clock.now + 60_000, maxUses: 3 })),
        withRoute(6, rng.bytes(40)),
        withRoute(7, ascii(`groups/${groupHex}/messages?after=0&limit=10`)),
        withRoute(7, ascii(`groups/${groupHex}/log?from=1&limit=2`)),
        withRoute(7, ascii(`groups/${groupHex}/join-requests?after=0`)),
        withRoute(7, ascii(`blobs/${bytesToHex(rng.bytes(16))}`)),
        withRoute(8, ascii(`members/${bytesToHex(b.memberId)}/prekey-claim`)),
        withRoute(9, ascii(`groups/${groupHex}/join-requests/1`)),
        withRoute(10, bodies.encodePrekeyBundlesRequest({ memberIds: [a.memberId, b.memberId].sort((x, y) => Buffer.compare(x, y)) })),
      );
    },
    async close() {
      await fx?.close();
      fx = null;
    },
    seeds: () => seeds,
    async run(input): Promise<Stage> {
      if (!fx || !owner) throw new FuzzFailure('open() not called');
      if (input.length === 0) return 'first';
      const route = routes[input[0]! % routes.length]!;
      const body = input.subarray(1);
      const res = await fx.req(route.method, route.path(body), route.body ? body : undefined, route.auth ? token : undefined);
      if (res.status >= 500 && !(res.status === 503 && res.json?.error === 'E2E_ERR_RELAY_RATE_LIMITED')) {
        throw new FuzzFailure(`HTTP ${res.status} ${JSON.stringify(res.json)}`);
      }
      if (res.status < 300) return 'accepted';
      const code = res.json?.error ?? '';
      const name = code.replace(/^E2E_ERR_RELAY_/, '');
      if (!(name in RELAY_ERROR) && name !== 'CONFLICT') throw new FuzzFailure(`HTTP ${res.status} with an unlisted error code ${JSON.stringify(code)}`);
      if (route.body && res.status === 400 && decoderFirst((res.json as { message?: string }).message ?? '')) return 'first';
      if (!route.body && res.status === 404 && name === 'NOT_FOUND') return 'first';
      return 'later';
    },
  };
}

// --- WebSocket --------------------------------------------------------------------------

/** Close codes a fuzzed frame may legitimately cause (docs/RELAY.md): too big, not binary, rate limited. */
const ALLOWED_CLOSES = new Set<number>([1009, CLOSE.PROTOCOL_ERROR, CLOSE.RATE_LIMITED]);
/** Inputs per socket before the harness reconnects (RESUME is once per socket). */
const INPUTS_PER_SOCKET = 100;

class FuzzSocket {
  frames: RelayFrame[] = [];
  closeCode: number | null = null;
  private wake: (() => void) | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      this.frames.push(decodeRelayFrame(new Uint8Array(d)));
      this.wake?.();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake?.();
    });
    ws.on('error', () => undefined);
  }
  static async open(url: string, token: Uint8Array): Promise<FuzzSocket> {
    const ws = new WebSocket(url);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const s = new FuzzSocket(ws);
    ws.send(encodeClientFrame({ type: FRAME.AUTH, token }));
    await s.until((f) => f.type === FRAME.READY, 5000);
    s.frames = [];
    return s;
  }
  /** Waits for a frame matching `pred` or the close; true when the frame came. */
  async until(pred: (f: RelayFrame) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.some(pred)) return true;
      if (this.closeCode !== null) return false;
      const left = deadline - Date.now();
      if (left <= 0) throw new FuzzFailure('relay gave no answer in time (hang)');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          r();
        };
      });
    }
  }
}

export function relayWsTarget(): Target {
  let relay: TestRelay | null = null;
  let token: Uint8Array = new Uint8Array(0);
  let sock: FuzzSocket | null = null;
  let used = 0;
  let nonce = 0;
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);
  const seeds: Uint8Array[] = [];
  return {
    name: 'relay-ws',
    entry: 'relay/src/server.ts WebSocket frame handler (authenticated socket) and the core behind it',
    firstCheck: 'the frame type byte (an ERROR MALFORMED naming "type")',
    async open() {
      process.on('uncaughtException', onUncaught);
      const p = await loadDefaultPrimitives(nodeRandom);
      relay = await startTestRelay(RELAY_LIMITS);
      const a = makeDevice(p);
      const b = makeDevice(p);
      token = (await login(relay.httpUrl, p, a)).token;
      await login(relay.httpUrl, p, b);
      const c = buildCreate(p, a);
      await append(relay.httpUrl, token, null, new Uint8Array(32), c.entry, []);
      const add = buildAdd(p, a, c.state, [b]);
      await append(relay.httpUrl, token, c.state.groupId, c.state.headHash, add.entry, add.envelopes);
      const g = c.state.groupId;
      const idx = senderIndexOf(add.state, a.memberId);
      const rng = new Prng('relay-ws seeds');
      seeds.push(
        encodeClientFrame({ type: FRAME.SEND, clientMessageId: rng.bytes(16), groupId: g, ciphertext: fakeGroupMessage(g, add.state.epoch, 0, 256, idx) }),
        encodeClientFrame({ type: FRAME.SEND, clientMessageId: rng.bytes(16), groupId: g, ciphertext: fakeGroupMessage(g, add.state.epoch, 5, 32, idx) }),
        encodeClientFrame({ type: FRAME.ACK, groupId: g, seq: 1 }),
        encodeClientFrame({ type: FRAME.RESUME, cursors: [{ groupId: g, messageAfter: 0, logFrom: 0 }] }),
        encodeClientFrame({ type: FRAME.RESUME, cursors: [{ groupId: g, messageAfter: 3, logFrom: 2 }, { groupId: rng.bytes(16), messageAfter: 0, logFrom: 0 }] }),
        encodeClientFrame({ type: FRAME.PING, nonce: 7 }),
        encodeClientFrame({ type: FRAME.AUTH, token }),
      );
    },
    async close() {
      sock?.ws.terminate();
      sock = null;
      await relay?.cleanup();
      relay = null;
      process.off('uncaughtException', onUncaught);
    },
    seeds: () => seeds,
    async run(input): Promise<Stage> {
      if (!relay) throw new FuzzFailure('open() not called');
      if (!sock || sock.closeCode !== null || used >= INPUTS_PER_SOCKET) {
        sock?.ws.terminate();
        sock = await FuzzSocket.open(relay.wsUrl, token);
        used = 0;
      }
      used++;
      const s = sock;
      s.frames = [];
      let parsed: ReturnType<typeof decodeClientFrame> | null = null;
      try {
        parsed = decodeClientFrame(input);
      } catch {
        parsed = null;
      }
      const n = (nonce = (nonce + 1) >>> 0);
      s.ws.send(input);
      s.ws.send(encodeClientFrame({ type: FRAME.PING, nonce: n }));
      const ponged = await s.until((f) => f.type === FRAME.PONG && f.nonce === n, 5000);
      if (ponged && parsed?.type === FRAME.SEND) {
        // Sends are committed in batches: wait for this one's outcome.
        const id = bytesToHex(parsed.clientMessageId);
        await s.until((f) => (f.type === FRAME.SEND_OK || f.type === FRAME.ERROR) && bytesToHex(f.clientMessageId) === id, 5000);
      }
      if (uncaught.length) throw new FuzzFailure(`uncaught exception in the relay: ${uncaught.splice(0).map((e) => e.message).join('; ')}`);
      for (const f of s.frames) {
        if (f.type === FRAME.ERROR && (f.code === RELAY_ERROR.INTERNAL || relayErrorName(f.code) === undefined)) throw new FuzzFailure(`ERROR frame ${f.code}: ${f.detail}`);
      }
      if (!ponged) {
        if (s.closeCode === null || !ALLOWED_CLOSES.has(s.closeCode)) throw new FuzzFailure(`socket closed with ${s.closeCode}`);
        return 'later';
      }
      const err = s.frames.find((f) => f.type === FRAME.ERROR);
      if (err && err.type === FRAME.ERROR) return err.code === RELAY_ERROR.MALFORMED && decoderFirst(err.detail) ? 'first' : 'later';
      return 'accepted';
    },
  };
}
