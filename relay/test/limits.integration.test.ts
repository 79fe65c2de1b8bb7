// Limits over real sockets: oversize frames and messages, text frames, floods, slow readers
// (catch up from the database, no gap, no duplicate) and hopeless ones (closed with 4409),
// heartbeats.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { CLOSE, FRAME, RELAY_ERROR } from '../../crypto/src/wire/relay-frames';
import type { RelayConfig } from '../src/config';
import { append, login, WsClient } from './helpers/client';
import { buildAdd, buildCreate, fakeGroupMessage, makeDevice, senderIndexOf } from './helpers/log';
import { startTestRelay, type TestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let relay: TestRelay | undefined;
  afterEach(async () => {
    await relay?.cleanup();
    relay = undefined;
  });

  async function twoMembers(overrides: Partial<RelayConfig>) {
    const p: Primitives = await loadDefaultPrimitives(nodeRandom);
    relay = await startTestRelay({ ...overrides, store: kind });
    const a = makeDevice(p);
    const b = makeDevice(p);
    const at = (await login(relay.httpUrl, p, a)).token;
    const bt = (await login(relay.httpUrl, p, b)).token;
    const c = buildCreate(p, a);
    await append(relay.httpUrl, at, null, new Uint8Array(32), c.entry, []);
    const add = buildAdd(p, a, c.state, [b]);
    await append(relay.httpUrl, at, c.state.groupId, c.state.headHash, add.entry, add.envelopes);
    return { p, at, bt, groupId: c.state.groupId, epoch: add.state.epoch, r: relay, ai: senderIndexOf(add.state, a.memberId) };
  }

  describe('relay limits', () => {
    it('closes a socket that sends a frame over maxPayload (1009); refuses a message over the cap (TOO_LARGE); text frames close with 1002', async () => {
      const { p, at, groupId, epoch, r, ai } = await twoMembers({ maxFrameBytes: 8192, maxMessageBytes: 4096 });
      const c = await WsClient.connect(r.wsUrl, at);
      c.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0, 4096, ai) });
      const e = await c.waitFor((f) => f.type === FRAME.ERROR);
      expect(e.type === FRAME.ERROR && e.code).toBe(RELAY_ERROR.TOO_LARGE);
      c.sendRaw(new Uint8Array(9000));
      expect(await c.waitClose()).toBe(1009);
      const t = await WsClient.connect(r.wsUrl, at);
      t.sendRaw('hello');
      expect(await t.waitClose()).toBe(CLOSE.PROTOCOL_ERROR);
    });

    it('a flood gets RATE_LIMITED errors with the client message ID, then the socket is closed with 4429', async () => {
      const { p, at, groupId, epoch, r, ai } = await twoMembers({ sendRatePerIdentity: 5 });
      const c = await WsClient.connect(r.wsUrl, at);
      await c.waitFor((f) => f.type === FRAME.CAUGHT_UP);
      const ids = Array.from({ length: 130 }, () => p.randomBytes(16));
      for (const id of ids) c.send({ type: FRAME.SEND, clientMessageId: id, groupId, ciphertext: fakeGroupMessage(groupId, epoch, 0, 256, ai) });
      expect(await c.waitClose()).toBe(CLOSE.RATE_LIMITED);
      const errs = c.of(FRAME.ERROR);
      expect(errs.length).toBeGreaterThan(50);
      expect(errs.every((f) => f.code === RELAY_ERROR.RATE_LIMITED)).toBe(true);
      expect(c.of(FRAME.SEND_OK).length).toBeLessThanOrEqual(10);
    });

    it('a slow reader stops getting live pushes, then catches up from the database with no gap and no duplicate', async () => {
      const { p, at, bt, groupId, epoch, r, ai } = await twoMembers({ sendRatePerIdentity: 100_000, socketSoftLimitBytes: 64 * 1024, socketHardLimitBytes: 64 * 1024 * 1024 });
      const a = await WsClient.connect(r.wsUrl, at);
      const b = await WsClient.connect(r.wsUrl, bt);
      await b.waitFor((f) => f.type === FRAME.CAUGHT_UP);
      const sock = (b.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      sock.pause();
      const n = 600;
      for (let i = 0; i < n; i++) a.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId, ciphertext: fakeGroupMessage(groupId, epoch, i, 32768, ai) });
      await a.waitCount((f) => f.type === FRAME.SEND_OK, n, 20_000);
      await new Promise((res) => setTimeout(res, 200));
      sock.resume();
      await b.waitCount((f) => f.type === FRAME.MESSAGE, n, 20_000);
      const seqs = b.of(FRAME.MESSAGE).map((f) => f.seq);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(r.core.metrics.slowSockets).toBeGreaterThanOrEqual(1);
      a.close();
      b.close();
    });

    it('a hopeless reader (over the soft limit for too long) is closed with 4409', async () => {
      const { p, at, bt, groupId, epoch, r, ai } = await twoMembers({ sendRatePerIdentity: 100_000, socketSoftLimitBytes: 64 * 1024, slowSocketTimeoutMs: 300 });
      const a = await WsClient.connect(r.wsUrl, at);
      const b = await WsClient.connect(r.wsUrl, bt);
      await b.waitFor((f) => f.type === FRAME.CAUGHT_UP);
      (b.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 600; i++) a.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId, ciphertext: fakeGroupMessage(groupId, epoch, i, 32768, ai) });
      await a.waitCount((f) => f.type === FRAME.SEND_OK, 600, 20_000);
      const deadline = Date.now() + 10_000;
      while (r.core.metrics.connections > 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(r.core.metrics.connections).toBe(1);
      expect(r.core.metrics.errors.get('TOO_SLOW')).toBeGreaterThanOrEqual(1);
      a.close();
    });

    it('closes a socket that stops answering pings (4408)', async () => {
      const { at, r } = await twoMembers({ heartbeatMs: 150 });
      const ws = new WebSocket(r.wsUrl, { autoPong: false } as WebSocket.ClientOptions);
      await new Promise((res) => ws.once('open', res));
      const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
      ws.send(Uint8Array.of(FRAME.AUTH, ...at));
      expect(await closed).toBe(CLOSE.HEARTBEAT_TIMEOUT);
    });

    it('refuses upgrades over --max-connections (503) and on other paths (404)', async () => {
      const { at, r } = await twoMembers({ maxConnections: 1 });
      const first = await WsClient.connect(r.wsUrl, at);
      const status = (url: string) =>
        new Promise<number>((res) => {
          const ws = new WebSocket(url);
          ws.on('unexpected-response', (_req, resp) => res(resp.statusCode ?? 0));
          ws.on('open', () => res(101));
          ws.on('error', () => undefined);
        });
      expect(await status(r.wsUrl)).toBe(503);
      first.close();
      await first.waitClose();
      await new Promise((res) => setTimeout(res, 50));
      expect(await status(r.wsUrl.replace('/v1/ws', '/v1/other'))).toBe(404);
    });
  });
});
