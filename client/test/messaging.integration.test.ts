// The messaging layer on real clients and a real relay (temp SQLite, loopback sockets):
// every message type sent through ChatClient's engine, and what the other members see.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { encodeContent } from '../src/content/codec';
import { createMessageId } from '../src/content/message-id';
import { RECALL_NOTICE_TEXT, type Messaging, type MessagingEvents } from '../src/sdk/messaging';
import { openMessaging } from '../src/sdk/messaging-client';
import { p, startWorld, until, type Member, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Chatter extends Member {
  m: Messaging;
  seen: { [K in keyof MessagingEvents]: MessagingEvents[K][] };
}

async function join(w: World, name: string): Promise<Chatter> {
  const member = await w.add(name, { start: false });
  const m = await openMessaging(member.client, { primitives: p, store: member.store });
  const seen = { message: [], mention: [], recall: [], poll: [], question: [], dropped: [] } as Chatter['seen'];
  for (const k of Object.keys(seen) as (keyof MessagingEvents)[]) m.on(k, (e) => (seen[k] as unknown[]).push(e));
  await member.client.start();
  await member.client.whenReady(10_000);
  return Object.assign(member, { m, seen });
}

async function group(owner: Chatter, ...others: Chatter[]): Promise<string> {
  const g = bytesToHex(await owner.client.createGroup({ name: '家长群' }));
  for (const o of others) {
    await owner.client.invite(g, o.client.memberId);
    await o.client.waitForGroup(g, 10_000);
  }
  return g;
}

const shown = (c: Chatter, g: string) => c.client.history.page(g, { limit: 100 }).messages;
const has = (c: Chatter, g: string, id: string) => c.client.history.get(g, id) !== undefined;

// A JPEG whose Exif block holds a GPS position.
const enc = (s: string) => Uint8Array.from([...s].map((ch) => ch.charCodeAt(0)));
const seg = (marker: number, payload: Uint8Array) => concatBytes(Uint8Array.of(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255), payload);
const GPS = enc('GPS 39.9042N 116.4074E school-gate');
const JPEG = concatBytes(
  Uint8Array.of(0xff, 0xd8),
  seg(0xe0, enc('JFIF\0\x01\x01\0\0\x01\0\x01\0\0')),
  seg(0xe1, concatBytes(enc('Exif\0\0'), GPS)),
  seg(0xdb, new Uint8Array(65).fill(3)),
  seg(0xc0, Uint8Array.of(8, 0, 1, 0, 1, 1, 1, 0x11, 0)),
  seg(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0)),
  Uint8Array.of(0x12, 0xff, 0x00, 0x34, 0xff, 0xd9),
);
const contains = (hay: Uint8Array, needle: Uint8Array) => bytesToHex(hay).includes(bytesToHex(needle));

describe('messaging over a real relay', () => {
  it('text with a masked phone number, a mention and a reply; an image without EXIF; a poll; Q&A; a recall', async () => {
    world = await startWorld();
    const alice = await join(world, 'alice');
    const bob = await join(world, 'bob');
    const carol = await join(world, 'carol');
    const g = await group(alice, bob, carol);

    // Text: the phone number is masked before it leaves Alice's device; Bob is mentioned.
    const t = await alice.m.sendText(g, '老师电话 13912345678，明早八点集合 🚌', { mentions: [bob.client.memberIdHex] });
    expect(t.redacted).toBe(1);
    await until('bob and carol have the text', () => has(bob, g, t.messageId) && has(carol, g, t.messageId));
    for (const c of [alice, bob, carol]) {
      const text = c.client.history.get(g, t.messageId)!.text;
      expect(text).toMatch(/139\*{4}5678/);
      expect(text).not.toContain('13912345678');
      expect(text).toContain('🚌');
    }
    expect(bob.seen.mention.map((e) => e.message.messageId)).toEqual([t.messageId]);
    expect(carol.seen.mention).toEqual([]);
    expect(bob.client.chatList.get(g)).toMatchObject({ unread: 1, mentionUnread: 1 });

    // Reply with a quote.
    const r = await bob.m.sendText(g, '收到', { replyTo: t.messageId });
    await until('alice has the reply', () => has(alice, g, r.messageId));
    expect(alice.client.history.get(g, r.messageId)!.replyTo).toBe(t.messageId);

    // Image: EXIF/GPS stripped before encryption; Carol downloads, decrypts and checks it.
    const img = await alice.m.sendImage(g, JPEG, { width: 1, height: 1, caption: '集合地点' });
    await until('carol has the image', () => has(carol, g, img.messageId));
    const image = await carol.m.downloadAttachment(g, img.messageId);
    expect(contains(image, GPS)).toBe(false);
    expect(image.subarray(0, 2)).toEqual(Uint8Array.of(0xff, 0xd8));
    expect(carol.client.history.get(g, img.messageId)).toMatchObject({ type: 'image', text: '集合地点', attachment: { mime: 'image/jpeg', size: image.length } });

    // Poll: every member sees the same tally.
    const poll = await alice.m.createPoll(g, '周六活动', ['博物馆', '公园', '科技馆'], { maxChoices: 2 });
    await until('poll everywhere', async () => !!(await bob.m.poll(g, poll.messageId)) && !!(await carol.m.poll(g, poll.messageId)));
    await bob.m.vote(g, poll.messageId, [0, 1]);
    await carol.m.vote(g, poll.messageId, [1]);
    await alice.m.vote(g, poll.messageId, [2]);
    const want = { counts: [1, 2, 1], voters: 3, closed: false };
    await until('tallies agree', async () => {
      const all = await Promise.all([alice, bob, carol].map((c) => c.m.poll(g, poll.messageId)));
      return all.every((s) => JSON.stringify(s?.tally) === JSON.stringify(want));
    });
    await expect(bob.m.closePoll(g, poll.messageId)).rejects.toMatchObject({ code: 'E2E_ERR_CONTENT_REFUSED' });
    await alice.m.closePoll(g, poll.messageId);
    await until('closed everywhere', async () => (await carol.m.poll(g, poll.messageId))?.closed === true);
    await expect(carol.m.vote(g, poll.messageId, [0])).rejects.toMatchObject({ code: 'E2E_ERR_CONTENT_REFUSED' });

    // Q&A: ask, answer, accept.
    const q = await bob.m.askQuestion(g, '需要带午饭吗？');
    await until('carol has the question', () => has(carol, g, q.messageId));
    const a = await carol.m.answer(g, q.messageId, '需要，自带水杯');
    await until('bob has the answer', async () => ((await bob.m.question(g, q.messageId))?.answers.length ?? 0) === 1);
    await bob.m.acceptAnswer(g, q.messageId, a.messageId);
    await until('alice sees the accepted answer', async () => (await alice.m.question(g, q.messageId))?.accepted === a.messageId);

    // Recall within the window: replaced by a notice on every side.
    const oops = await carol.m.sendText(g, '发错了');
    await until('alice has it', () => has(alice, g, oops.messageId));
    const rec = await carol.m.recall(g, oops.messageId);
    await until('recalled everywhere', () => [alice, bob, carol].every((c) => !has(c, g, oops.messageId) && has(c, g, rec.messageId)));
    expect(bob.client.history.get(g, rec.messageId)).toMatchObject({ type: 'system', text: RECALL_NOTICE_TEXT, sender: carol.client.memberIdHex });
    // Bob cannot recall Alice's message.
    await expect(bob.m.recall(g, t.messageId)).rejects.toMatchObject({ code: 'E2E_ERR_CONTENT_REFUSED' });

    for (const c of [alice, bob, carol]) expect(c.m.stats().dropped).toEqual({});
    expect(shown(bob, g).map((m) => m.type)).toEqual(['text', 'text', 'image', 'poll', 'qa', 'qa', 'system']);
  });

  it('policy: files refused when the policy reserves them to admins (sender) and dropped when a modified client sends one (receivers); a muted member is refused', async () => {
    world = await startWorld();
    const alice = await join(world, 'alice');
    const bob = await join(world, 'bob');
    const carol = await join(world, 'carol');
    const g = await group(alice, bob, carol);

    await alice.client.setPolicy(g, { maySendMedia: 'admins' });
    await until('bob applied the policy', () => bob.client.group(g)?.state.policy.maySendMedia === 'admins');
    await expect(bob.m.sendFile(g, utf8Encode('报名表'), { name: '报名表.txt' })).rejects.toMatchObject({ code: 'E2E_ERR_SDK_FORBIDDEN' });
    await expect(bob.m.sendImage(g, JPEG)).rejects.toMatchObject({ code: 'E2E_ERR_SDK_FORBIDDEN' });

    // A modified client skips its own checks: the relay cannot see the type, the receivers can.
    const forged = encodeContent({
      type: 'file',
      messageId: createMessageId(Date.now(), (n) => p.randomBytes(n)),
      sentAt: Date.now(),
      pointer: { kind: 'file', blobId: new Uint8Array(16), key: new Uint8Array(32), digest: new Uint8Array(32), size: 3 },
      mime: 'text/plain',
      name: 'x.txt',
      width: 0,
      height: 0,
      durationMs: 0,
      caption: '',
    });
    await bob.client.engine.sendPlaintext(hexToBytes(g), forged, createMessageId(Date.now(), (n) => p.randomBytes(n)));
    const ok = await bob.m.sendText(g, '文字可以');
    await until('the text after it arrived', () => has(alice, g, ok.messageId) && has(carol, g, ok.messageId));
    for (const c of [alice, carol]) {
      expect(c.m.stats().dropped).toEqual({ 'media-forbidden': 1 });
      expect(shown(c, g).map((m) => m.type)).toEqual(['text']);
    }

    // Mute Bob: his client refuses before encrypting; the engine and the relay refuse a bypass too.
    await alice.client.muteMember(g, bob.client.memberId, true);
    await until('bob applied the mute', () => (bob.client.group(g)?.state.policy.mutedMembers.length ?? 0) === 1);
    await expect(bob.m.sendText(g, '我被禁言了吗')).rejects.toMatchObject({ code: 'E2E_ERR_SDK_MUTED' });
    await expect(bob.client.engine.sendPlaintext(hexToBytes(g), encodeContent({ type: 'text', messageId: new Uint8Array(16).fill(1), sentAt: 1, text: 'x', mentions: [], mentionAll: false }), new Uint8Array(16).fill(1))).rejects.toMatchObject({ code: 'E2E_ERR_SDK_MUTED' });
    // The others still talk.
    const after = await carol.m.sendText(g, '继续');
    await until('alice has carol', () => has(alice, g, after.messageId));
    expect(alice.m.stats().dropped).toEqual({ 'media-forbidden': 1 });
  });
});
