// The sender record reserves a run of generations (docs/PROTOCOL.md M6, "Reserving a run"):
// one write covers up to 16 sends, every ciphertext leaves the device only when the record
// on disk is past its generation, and a device that crashes resumes from the record without
// reusing a generation, its receivers bridging the gap.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import { decodeGroupMessageHeader } from '../../../crypto/src/wire/message';
import { decodeSenderRecord, groupKey } from './group-records';
import type { LocalStore } from '../store/types';
import { startWorld, until, type Member, type World } from '../../test/helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Generations of the sender records the client wrote, in order, for any group. */
function recordingSenderWrites(written: number[]) {
  return (store: LocalStore): LocalStore => ({
    ...store,
    kind: store.kind,
    get: (k) => store.get(k),
    put: async (k, v) => {
      await store.put(k, v);
      if (k.endsWith('/send')) written.push(decodeSenderRecord(v)?.generation ?? -1);
    },
  });
}

/** Generations of the ciphertexts `m` hands to the relay, each checked against the last record written. */
function watchReleases(m: Member, written: number[], violations: string[]): number[] {
  const released: number[] = [];
  const conn = m.client.relay.connection;
  const send = conn.send.bind(conn);
  conn.send = (groupId, clientMessageId, ciphertext) => {
    const g = decodeGroupMessageHeader(ciphertext).generation;
    const onDisk = written[written.length - 1] ?? -1;
    if (!(onDisk > g)) violations.push(`generation ${g} released with the record at ${onDisk}`);
    released.push(g);
    return send(groupId, clientMessageId, ciphertext);
  };
  return released;
}

describe('sender record: one write per reserved run', () => {
  it('40 sends cost 3 record writes, each written before the ciphertexts it covers leave; a crash resumes past every sent generation', async () => {
    world = await startWorld();
    const written: number[] = [];
    const alice = await world.add('alice', { wrapStore: recordingSenderWrites(written) });
    const bob = await world.add('bob');
    const gid = await alice.client.createGroup({ name: 'reservation' });
    const g = bytesToHex(gid);
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g, 10_000);
    await alice.client.idle(g);
    const violations: string[] = [];
    const released = watchReleases(alice, written, violations);
    const writesBefore = written.length;

    for (let i = 0; i < 40; i++) await alice.client.sendPlaintext(g, `第 ${i} 条 message ${i}`);
    await until('bob has all 40', () => bob.texts(gid).length === 40);
    expect(bob.texts(gid)).toEqual(Array.from({ length: 40 }, (_, i) => `第 ${i} 条 message ${i}`));
    expect(released).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(violations).toEqual([]);
    // Generations 0, 17 and 34 each needed a new reservation of 16 past the next one.
    expect(written.slice(writesBefore)).toEqual([17, 34, 51]);

    // "The crash": alice's files as a process killed now would leave them (no close).
    const crashed = world.crashCopy(alice);
    await world.stop(alice);
    const written2: number[] = [];
    const alice2 = await world.add('alice', { dir: crashed, wrapStore: recordingSenderWrites(written2) });
    const released2 = watchReleases(alice2, written2, violations);
    await alice2.client.idle(g);
    expect(written2).toEqual([]); // the record it found (51) already covers the next send
    // watchReleases compares with this client's writes: seed it with the record on disk.
    const onDisk = decodeSenderRecord((await alice2.store.get(groupKey(g, 'send')))!)!.generation;
    expect(onDisk).toBe(51);
    written2.push(onDisk);
    await alice2.client.sendPlaintext(g, '重启之后 after the restart');
    expect(released2).toEqual([51]); // past every generation sent before: none is reused
    expect(violations).toEqual([]);
    await until('bob reads across the gap', () => bob.texts(gid).length === 41);
    expect(bob.texts(gid)[40]).toBe('重启之后 after the restart');
    expect(bob.events.alarm ?? []).toEqual([]);
  });
});
