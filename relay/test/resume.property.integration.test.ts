// Property: whatever the interleaving of sends, reconnects (with the client's cursor, or
// relying on the acknowledged cursor) and acknowledgements, a reader ends up with every
// message exactly once and in order.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { FRAME } from '../../crypto/src/wire/relay-frames';
import { append, login, WsClient } from './helpers/client';
import { buildAdd, buildCreate, fakeGroupMessage, makeDevice, senderIndexOf } from './helpers/log';
import { startTestRelay, type TestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let p: Primitives;
  let relay: TestRelay;
  beforeAll(async () => {
    p = await loadDefaultPrimitives(nodeRandom);
    relay = await startTestRelay({ store: kind });
  });
  afterAll(async () => {
    await relay?.cleanup();
  });

  type Op = { kind: 'send'; n: number } | { kind: 'reconnect'; withCursor: boolean } | { kind: 'ack' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.integer({ min: 1, max: 8 }).map((n) => ({ kind: 'send' as const, n })),
    fc.boolean().map((withCursor) => ({ kind: 'reconnect' as const, withCursor })),
    fc.constant({ kind: 'ack' as const }),
  );

  describe('resume property', () => {
    it('every message reaches the reader exactly once, in order, across reconnects', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
          const a = makeDevice(p);
          const b = makeDevice(p);
          const at = (await login(relay.httpUrl, p, a)).token;
          const bt = (await login(relay.httpUrl, p, b)).token;
          const c = buildCreate(p, a);
          await append(relay.httpUrl, at, null, new Uint8Array(32), c.entry, []);
          const add = buildAdd(p, a, c.state, [b]);
          await append(relay.httpUrl, at, c.state.groupId, c.state.headHash, add.entry, add.envelopes);
          const gid = c.state.groupId;
          const ai = senderIndexOf(add.state, a.memberId);
          const sender = await WsClient.connect(relay.wsUrl, at);
          let reader = await WsClient.connect(relay.wsUrl, bt);
          await reader.waitFor((f) => f.type === FRAME.CAUGHT_UP);
          const seen: number[] = [];
          let acked = 0;
          let sent = 0;
          let consumed = 0; // MESSAGE frames of the current socket already moved into `seen`
          const drain = () => {
            const ms = reader.of(FRAME.MESSAGE);
            for (; consumed < ms.length; consumed++) seen.push(ms[consumed]!.seq);
          };
          for (const o of ops) {
            if (o.kind === 'send') {
              for (let i = 0; i < o.n; i++) sender.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: fakeGroupMessage(gid, add.state.epoch, sent + i, 256, ai) });
              sent += o.n;
              await sender.waitCount((f) => f.type === FRAME.SEND_OK, sent);
            } else if (o.kind === 'ack') {
              drain();
              const last = seen[seen.length - 1] ?? 0;
              reader.send({ type: FRAME.ACK, groupId: gid, seq: last });
              acked = last;
              await reader.roundTrip(); // the relay has handled the ACK
              if (acked % 2 === 0) await relay.core.flushCursors(); // saved, or still pending in memory
            } else {
              // Whatever arrived before the close counts; then resume.
              await new Promise((r) => setTimeout(r, 20));
              drain();
              reader.close();
              await reader.waitClose();
              const last = seen[seen.length - 1] ?? 0;
              reader = await WsClient.connect(relay.wsUrl, bt, o.withCursor ? { cursors: [{ groupId: gid, messageAfter: last, logFrom: 2 }] } : {});
              consumed = 0;
              await reader.waitFor((f) => f.type === FRAME.CAUGHT_UP);
              if (!o.withCursor) {
                // Without a cursor the relay resumes from the acknowledged one: drop what was seen after it.
                while (seen.length > 0 && seen[seen.length - 1]! > acked) seen.pop();
              }
            }
          }
          const deadline = Date.now() + 3000;
          while (Date.now() < deadline) {
            drain();
            if ((seen[seen.length - 1] ?? 0) >= sent) break;
            await new Promise((r) => setTimeout(r, 10));
          }
          drain();
          expect(seen).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
          sender.close();
          reader.close();
        }),
        { numRuns: 12 },
      );
    });
  });
});
