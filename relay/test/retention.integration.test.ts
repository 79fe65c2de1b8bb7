// Retention: messages go once every served device acknowledged them, or after the
// configured age; blobs go by age; sequence numbers never restart.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../crypto/src/bytes';
import { encodeLogAppendRequest } from '../../crypto/src/wire/http-bodies';
import { appFixture, type AppFixture } from './helpers/app';
import { buildAdd, buildCreate, fakeGroupMessage, makeDevice } from './helpers/log';
import { TEST_STORES } from './helpers/stores';

describe.each(TEST_STORES)('%s store', (kind) => {

  let fx: AppFixture;
  afterEach(async () => {
    await fx?.close();
  });

  describe('retention', () => {
    it('deletes what every member acknowledged, then what is older than the retention age', async () => {
      fx = await appFixture({ store: kind, retentionSeconds: 3600 });
      const a = makeDevice(fx.p);
      const b = makeDevice(fx.p);
      const at = await fx.login(a);
      await fx.login(b);
      const c = buildCreate(fx.p, a);
      await fx.req('POST', '/v1/groups', encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry: c.entry, envelopes: [] }), at);
      const add = buildAdd(fx.p, a, c.state, [b]);
      await fx.req('POST', `/v1/groups/${bytesToHex(c.state.groupId)}/log`, encodeLogAppendRequest({ expectedHead: c.state.headHash, entry: add.entry, envelopes: add.envelopes }), at);
      const g = (await fx.core.group(c.state.groupId))!;
      const ar = (await fx.core.store.deviceRef(a.memberId))!;
      const br = (await fx.core.store.deviceRef(b.memberId))!;
      const send = async (n: number) =>
        fx.core.store.commitSends(
          Array.from({ length: n }, (_, i) => ({ groupRef: g.ref, senderRef: ar, clientId: fx.p.randomBytes(16), epoch: 1, sentAt: fx.clock.now, body: fakeGroupMessage(c.state.groupId, 1, i) })),
        );
      await send(5);
      await fx.core.store.saveCursors([
        { deviceRef: ar, groupRef: g.ref, seq: 5 },
        { deviceRef: br, groupRef: g.ref, seq: 3 },
      ]);
      const blob = await fx.req('POST', `/v1/groups/${bytesToHex(c.state.groupId)}/blobs`, fx.p.randomBytes(100), at);
      const blobPath = join(fx.core.blobDir, bytesToHex(blob.bytes));
      expect(existsSync(blobPath)).toBe(true);

      expect((await fx.core.sweepRetention()).messages).toBe(3);
      expect((await fx.core.store.readMessages(g.ref, 0, 10)).map((m) => m.seq)).toEqual([4, 5]);
      expect(existsSync(blobPath)).toBe(true);

      fx.clock.now += 3601 * 1000;
      const r = await fx.core.sweepRetention();
      expect(r).toEqual({ messages: 2, blobs: 1 });
      expect(existsSync(blobPath)).toBe(false);
      expect(await fx.core.store.readMessages(g.ref, 0, 10)).toEqual([]);
      // Sequence numbers continue after everything was deleted.
      expect((await send(1))[0]!.seq).toBe(6);
    });
  });
});
