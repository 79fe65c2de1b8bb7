// The relay API's handling of what comes back, on a scripted platform: refusals decoded
// from JSON, and every kind of unexpected answer a typed error (never a crash, never a
// decode of an oversized body). The real-relay behaviour is in relay-api.integration.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../../../crypto/src/bytes';
import { E2eeError } from '../../../crypto/src/errors';
import { encodeLogAppendResponse } from '../../../crypto/src/wire/http-bodies';
import { isRelayRefusal, RelayRefusalError } from './errors';
import { createRelayApi } from './relay-api';
import type { HttpRequest, HttpResponse, Platform, Session } from './types';

const session: Session = { token: new Uint8Array(32).fill(0xab), memberId: new Uint8Array(32), expiresAt: 0 };
const GID = new Uint8Array(16).fill(7);

function scripted(answers: (req: HttpRequest) => HttpResponse): Platform & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  return {
    name: 'scripted',
    requests,
    openSocket: () => {
      throw new Error('no sockets here');
    },
    request: async (req) => {
      requests.push(req);
      return answers(req);
    },
    now: () => 0,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

const json = (status: number, body: unknown): HttpResponse => ({ status, contentType: 'application/json; charset=utf-8', body: utf8Encode(JSON.stringify(body)) });
const octets = (status: number, body: Uint8Array): HttpResponse => ({ status, contentType: 'application/octet-stream', body });

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('relay API response handling', () => {
  it('turns a JSON refusal into RelayRefusalError with name, status and the relay text', async () => {
    const api = createRelayApi(scripted(() => json(409, { error: 'E2E_ERR_RELAY_HEAD_MISMATCH', message: 'head moved' })), 'http://relay.test', () => session);
    const e = await errorOf(api.appendLog(GID, { expectedHead: new Uint8Array(32), entry: Uint8Array.of(1), envelopes: [] }));
    expect(e).toBeInstanceOf(RelayRefusalError);
    expect(isRelayRefusal(e, 'HEAD_MISMATCH')).toBe(true);
    expect(e).toMatchObject({ code: 'E2E_ERR_RELAY_HEAD_MISMATCH', status: 409, operation: 'appendLog' });
    expect((e as Error).message).toContain('head moved');
  });

  it('sends the bearer token only in the header, IDs as lowercase hex in the path', async () => {
    const platform = scripted(() => octets(200, encodeLogAppendResponse({ index: 3, head: new Uint8Array(32), epoch: 3 })));
    const api = createRelayApi(platform, 'http://relay.test/', () => session);
    expect(await api.appendLog(GID, { expectedHead: new Uint8Array(32), entry: Uint8Array.of(1), envelopes: [] })).toMatchObject({ index: 3, epoch: 3 });
    const req = platform.requests[0]!;
    expect(req.url).toBe('http://relay.test/v1/groups/07070707070707070707070707070707/log');
    expect(req.headers.authorization).toBe(`Bearer ${'ab'.repeat(32)}`);
    expect(req.maxResponseBytes).toBeGreaterThan(0);
  });

  const junk: [string, HttpResponse][] = [
    ['an HTML error page from a proxy', { status: 502, contentType: 'text/html', body: utf8Encode('<html>bad gateway</html>') }],
    ['JSON with an unknown relay name', json(400, { error: 'E2E_ERR_RELAY_SOMETHING_NEW', message: 'x' })],
    ['JSON with a non-relay code', json(400, { error: 'E2E_ERR_AUTH_FAILED' })],
    ['JSON that is not an object', json(400, ['E2E_ERR_RELAY_MALFORMED'])],
    ['broken JSON', { status: 400, contentType: 'application/json', body: utf8Encode('{"error": "E2E_ERR_RELAY_') }],
    ['invalid UTF-8 JSON', { status: 400, contentType: 'application/json', body: Uint8Array.of(0x7b, 0xff, 0x7d) }],
    ['a huge JSON error', json(400, { error: 'E2E_ERR_RELAY_MALFORMED', message: 'x'.repeat(10_000) })],
    ['200 with a text body', { status: 200, contentType: 'text/plain', body: utf8Encode('ok') }],
    ['a success status the route does not use', octets(202, new Uint8Array(48))],
    ['200 with a body over the cap', octets(200, new Uint8Array(2048))],
  ];
  for (const [what, res] of junk) {
    it(`rejects ${what} as E2E_ERR_NET_BAD_RESPONSE`, async () => {
      const api = createRelayApi(scripted(() => res), 'http://relay.test', () => session);
      const e = await errorOf(api.appendLog(GID, { expectedHead: new Uint8Array(32), entry: Uint8Array.of(1), envelopes: [] }));
      expect(e).toMatchObject({ code: 'E2E_ERR_NET_BAD_RESPONSE', operation: 'appendLog' });
    });
  }

  it('rejects a success body that does not decode as E2E_ERR_MALFORMED naming the operation', async () => {
    const api = createRelayApi(scripted(() => octets(200, new Uint8Array(47))), 'http://relay.test', () => session);
    const e = await errorOf(api.appendLog(GID, { expectedHead: new Uint8Array(32), entry: Uint8Array.of(1), envelopes: [] }));
    expect(e).toMatchObject({ code: 'E2E_ERR_MALFORMED', operation: 'appendLog' });
  });

  it('answers null for a prekey claim the relay has nothing for, and never for other errors', async () => {
    const api = createRelayApi(scripted(() => json(404, { error: 'E2E_ERR_RELAY_NOT_FOUND', message: 'none' })), 'http://relay.test', () => session);
    expect(await api.claimPrekey(new Uint8Array(32))).toBeNull();
    const api2 = createRelayApi(scripted(() => json(429, { error: 'E2E_ERR_RELAY_RATE_LIMITED', message: 'slow' })), 'http://relay.test', () => session);
    expect(isRelayRefusal(await errorOf(api2.claimPrekey(new Uint8Array(32))), 'RATE_LIMITED')).toBe(true);
  });

  it('renews the session once on 401 and retries; a second 401 is final', async () => {
    let calls = 0;
    const platform = scripted(() => (++calls === 1 ? json(401, { error: 'E2E_ERR_RELAY_TOKEN_EXPIRED', message: 'expired' }) : json(401, { error: 'E2E_ERR_RELAY_UNAUTHENTICATED', message: 'no' })));
    let renewals = 0;
    const api = createRelayApi(platform, 'http://relay.test', () => session, { renewSession: async () => (renewals++, session) });
    const e = await errorOf(api.fetchMessages(GID, 0, 10));
    expect(isRelayRefusal(e, 'UNAUTHENTICATED')).toBe(true);
    expect(renewals).toBe(1);
    expect(calls).toBe(2);
  });

  it('property: any status, content type and body give a value or a typed error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom('', 'application/octet-stream', 'application/json', 'text/html', 'application/json; charset=utf-8'),
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json().map((j) => utf8Encode(j))),
        async (status, contentType, body) => {
          const api = createRelayApi(scripted(() => ({ status, contentType, body })), 'http://relay.test', () => session);
          for (const call of [() => api.fetchLog(GID, 0, 5), () => api.createInvite(GID, { expiresAt: 1, maxUses: 1 }), () => api.requestJoin(new Uint8Array(16), Uint8Array.of(1))]) {
            try {
              await call();
            } catch (e) {
              if (!(e instanceof E2eeError)) throw e;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('checks arguments before any request', async () => {
    const platform = scripted(() => octets(200, new Uint8Array(0)));
    const api = createRelayApi(platform, 'http://relay.test', () => session);
    await expect(api.fetchLog(new Uint8Array(0), 0, 1)).rejects.toThrow(RangeError);
    await expect(api.fetchLog(GID, -1, 1)).rejects.toThrow(RangeError);
    await expect(api.fetchMessages(GID, 0, 1001)).rejects.toThrow(RangeError);
    await expect(api.requestJoin(new Uint8Array(16), new Uint8Array(4097))).rejects.toThrow(RangeError);
    expect(platform.requests).toEqual([]);
    expect(() => createRelayApi(platform, 'ftp://relay.test', () => session)).toThrow(TypeError);
  });
});
