// The WebSocket session against the real relay: AUTH/READY/RESUME, sends and their
// answers, in-order delivery to a second device, refusals, reconnect across a relay
// restart with resume from cursors, token expiry, and stop().
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../../crypto/src/bytes';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import type { ResumeCursor } from '../../../crypto/src/wire/relay-frames';
import { startTestRelay, type TestRelay } from '../../../relay/test/helpers/relay';
import { isRelayRefusal } from './errors';
import { nodePlatform } from './node-platform';
import { createRelayClient, type RelayClient } from './relay-client';
import { clientMessageId, makeDevice, prekeyUploadOf, twoMemberGroup, until, type TestDevice } from './test/fixtures';
import type { ConnectionState, Platform } from './types';

let p: Primitives;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  p = await loadDefaultPrimitives(nodeRandom);
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A device's view: received messages and log entries per group, its cursors, states seen, logins. */
interface Dev {
  d: TestDevice;
  c: RelayClient;
  messages: { groupHex: string; seq: number; ciphertext: Uint8Array }[];
  logIndexes: number[];
  states: ConnectionState[];
  closeCodes: number[];
  logins: () => number;
  sockets: () => number;
  cursors: () => ResumeCursor[];
}

function device(relay: { httpUrl: string }, d: TestDevice, fast = true): Dev {
  let logins = 0;
  let sockets = 0;
  const base = nodePlatform();
  const platform: Platform = { ...base, openSocket: (url, h) => (sockets++, base.openSocket(url, h)) };
  const c = createRelayClient({
    platform,
    httpUrl: relay.httpUrl,
    identityKey: d.id.publicKey,
    sign: (ch) => (logins++, d.sign(ch)),
    random: nodeRandom,
    connection: fast ? { backoff: { minMs: 50, maxMs: 400 }, sendTimeoutMs: 3000 } : {},
  });
  const dev: Dev = {
    d,
    c,
    messages: [],
    logIndexes: [],
    states: [],
    closeCodes: [],
    logins: () => logins,
    sockets: () => sockets,
    cursors: () => {
      // What a client persists: per group the last message seq and the log length.
      const byGroup = new Map<string, ResumeCursor>();
      for (const m of dev.messages) {
        const cur = byGroup.get(m.groupHex) ?? { groupId: hexBytes(m.groupHex), messageAfter: 0, logFrom: 0 };
        cur.messageAfter = Math.max(cur.messageAfter, m.seq);
        byGroup.set(m.groupHex, cur);
      }
      for (const cur of byGroup.values()) cur.logFrom = dev.logIndexes.length ? Math.max(...dev.logIndexes) + 1 : 0;
      return [...byGroup.values()];
    },
  };
  c.connection.on('message', (m) => {
    dev.messages.push({ groupHex: bytesToHex(m.groupId), seq: m.seq, ciphertext: m.ciphertext });
    c.connection.ack(m.groupId, m.seq);
  });
  c.connection.on('logEntry', (e) => dev.logIndexes.push(e.index));
  c.connection.on('state', (s, detail) => {
    dev.states.push(s);
    if (detail?.closeCode !== undefined) dev.closeCodes.push(detail.closeCode);
  });
  cleanups.push(() => c.connection.stop());
  return dev;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

async function setup(relay: TestRelay) {
  const alice = device(relay, makeDevice(p));
  const bob = device(relay, makeDevice(p, 1));
  await bob.c.api.uploadPrekeys(prekeyUploadOf(p, bob.d));
  const g = await twoMemberGroup(p, alice.c.api, alice.d, bob.d);
  return { alice, bob, g };
}

describe('relay connection against the real relay', () => {
  it('sends, gets SEND_OK, deduplicates a retry, and a second device receives in order', async () => {
    const relay = await startTestRelay();
    cleanups.push(() => relay.cleanup());
    const { alice, bob, g } = await setup(relay);
    alice.c.connection.start(() => []);
    bob.c.connection.start(() => []);
    await Promise.all([alice.c.connection.whenReady(5000), bob.c.connection.whenReady(5000)]);
    expect(equalBytes(alice.c.connection.memberId!, alice.d.id.memberId)).toBe(true);
    await until(() => bob.logIndexes.includes(1), 5000, 'bob gets the add entry');

    const ids: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    const results = [];
    for (let i = 0; i < 20; i++) {
      const ct = g.nextMessage(`消息 ${i}`);
      const id = clientMessageId();
      ids.push(id);
      sent.push(ct);
      results.push(alice.c.connection.send(g.groupId, id, ct));
    }
    const answers = await Promise.all(results);
    expect(answers.map((a) => a.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(answers.every((a) => !a.duplicate)).toBe(true);

    // A retry with the same ID is recognised, not delivered twice.
    const retry = await alice.c.connection.send(g.groupId, ids[3]!, sent[3]!);
    expect(retry).toEqual({ seq: 4, duplicate: true });

    await until(() => bob.messages.length >= 20, 5000, 'bob receives 20 messages');
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.messages.map((m) => m.seq)).toEqual(answers.map((a) => a.seq));
    expect(bob.messages.every((m, i) => equalBytes(m.ciphertext, sent[i]!))).toBe(true);
    expect(alice.messages).toEqual([]); // no echo to the sender
  });

  it('surfaces refusals of a send with the relay name (status 0) and keeps the socket', async () => {
    const relay = await startTestRelay();
    cleanups.push(() => relay.cleanup());
    const { alice, g } = await setup(relay);
    const eve = device(relay, makeDevice(p));
    eve.c.connection.start(() => []);
    alice.c.connection.start(() => []);
    await Promise.all([eve.c.connection.whenReady(5000), alice.c.connection.whenReady(5000)]);

    const notMember = await eve.c.connection.send(g.groupId, clientMessageId(), g.nextMessage('x')).catch((e: unknown) => e);
    expect(isRelayRefusal(notMember, 'NOT_MEMBER')).toBe(true);
    expect(notMember).toMatchObject({ code: 'E2E_ERR_RELAY_NOT_MEMBER', status: 0 });
    const malformed = await alice.c.connection.send(g.groupId, clientMessageId(), Uint8Array.of(9, 9, 9)).catch((e: unknown) => e);
    expect(isRelayRefusal(malformed, 'MALFORMED')).toBe(true);
    // A message of the group's previous epoch (before the add) is stale.
    const stale = new Uint8Array(g.nextMessage('old'));
    new DataView(stale.buffer).setUint32(17, 0);
    const staleErr = await alice.c.connection.send(g.groupId, clientMessageId(), stale).catch((e: unknown) => e);
    expect(isRelayRefusal(staleErr, 'STALE_EPOCH')).toBe(true);
    // The connection is still up and works.
    expect(alice.c.connection.state).toBe('ready');
    expect((await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage('ok'))).duplicate).toBe(false);
    // Sends before start or after stop reject as NET_CLOSED; caller bugs throw.
    expect(() => alice.c.connection.send(g.groupId, new Uint8Array(15), Uint8Array.of(1))).toThrow(RangeError);
    await eve.c.connection.stop();
    await expect(eve.c.connection.send(g.groupId, clientMessageId(), Uint8Array.of(1))).rejects.toMatchObject({ code: 'E2E_ERR_NET_CLOSED' });
  });

  it('reconnects after the relay restarts on the same port and data, and resumes without loss or duplicate', async () => {
    const first = await startTestRelay();
    const { dataDir, port } = first;
    let relay: TestRelay = first;
    cleanups.push(() => relay.cleanup());
    const { alice, bob, g } = await setup(relay);
    alice.c.connection.start(() => alice.cursors());
    bob.c.connection.start(() => bob.cursors());
    await Promise.all([alice.c.connection.whenReady(5000), bob.c.connection.whenReady(5000)]);

    for (let i = 0; i < 5; i++) await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage(`before ${i}`));
    await until(() => bob.messages.length === 5, 5000, 'five before the restart');

    // A send in flight when the relay goes away is rejected as NET_CLOSED (or answered).
    await relay.close();
    await until(() => bob.c.connection.state !== 'ready' && alice.c.connection.state !== 'ready', 5000, 'both notice the drop');
    expect(bob.closeCodes).toContain(1001);
    const offline = await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage('lost?')).catch((e: unknown) => e);
    expect(offline).toMatchObject({ code: 'E2E_ERR_NET_CLOSED' });
    await new Promise((r) => setTimeout(r, 300)); // a few refused reconnects

    relay = await startTestRelay({ port }, dataDir);
    cleanups.push(() => relay.cleanup());
    // Tokens live in the relay's memory: both get 4401 once and log in again.
    await Promise.all([alice.c.connection.whenReady(8000), bob.c.connection.whenReady(8000)]);
    expect(alice.logins()).toBe(2);
    expect(bob.logins()).toBe(2);

    for (let i = 0; i < 5; i++) await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage(`after ${i}`));
    await until(() => bob.messages.length >= 10, 5000, 'five after the restart');
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(bob.logIndexes).toEqual([1]); // the add entry once, not again after resume
  });

  it('catches up what was sent while it was offline, from its cursors', async () => {
    const relay = await startTestRelay();
    cleanups.push(() => relay.cleanup());
    const { alice, bob, g } = await setup(relay);
    alice.c.connection.start(() => []);
    bob.c.connection.start(() => bob.cursors());
    await Promise.all([alice.c.connection.whenReady(5000), bob.c.connection.whenReady(5000)]);
    for (let i = 0; i < 3; i++) await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage(`a ${i}`));
    await until(() => bob.messages.length === 3, 5000, 'three');
    await bob.c.connection.stop();

    // A new connection of the same device (e.g. the app restarted) with its persisted cursors.
    for (let i = 0; i < 4; i++) await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage(`b ${i}`));
    const again = device(relay, bob.d);
    again.messages.push(...bob.messages);
    again.logIndexes.push(...bob.logIndexes);
    let caughtUp = false;
    again.c.connection.on('caughtUp', (c) => {
      if (equalBytes(c.groupId, g.groupId)) caughtUp = c.messageSeq === 7;
    });
    again.c.connection.start(() => again.cursors());
    await until(() => caughtUp, 5000, 'CAUGHT_UP at 7');
    expect(again.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(again.logIndexes).toEqual([1]);
  });

  it('logs in again when the token expires while connected (4403) and carries on', async () => {
    let skew = 0;
    const relay = await startTestRelay({ heartbeatMs: 150 }, undefined, { now: () => Date.now() + skew });
    cleanups.push(() => relay.cleanup());
    const { alice, bob, g } = await setup(relay);
    bob.c.connection.start(() => bob.cursors());
    alice.c.connection.start(() => []);
    await Promise.all([alice.c.connection.whenReady(5000), bob.c.connection.whenReady(5000)]);
    const loginsBefore = bob.logins();
    skew = 2 * 3600_000;
    await until(() => bob.closeCodes.includes(4403), 3000, 'close 4403');
    await bob.c.connection.whenReady(5000);
    expect(bob.logins()).toBe(loginsBefore + 1);
    await alice.c.connection.whenReady(5000);
    await alice.c.connection.send(g.groupId, clientMessageId(), g.nextMessage('after expiry'));
    await until(() => bob.messages.length === 1, 5000, 'delivery after re-login');
  });

  it('stop() ends reconnecting for good', async () => {
    const relay = await startTestRelay();
    const dev = device(relay, makeDevice(p));
    dev.c.connection.start(() => []);
    await dev.c.connection.whenReady(5000);
    await relay.cleanup();
    await until(() => dev.sockets() >= 3, 5000, 'reconnect attempts');
    await dev.c.connection.stop();
    expect(dev.c.connection.state).toBe('closed');
    const n = dev.sockets();
    await new Promise((r) => setTimeout(r, 600)); // longer than the largest backoff
    expect(dev.sockets()).toBe(n);
    expect(dev.states.at(-1)).toBe('closed');
    await expect(dev.c.connection.whenReady(100)).rejects.toMatchObject({ code: 'E2E_ERR_NET_CLOSED' });
  });
});
