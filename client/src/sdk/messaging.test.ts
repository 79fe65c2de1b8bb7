// The messaging layer over a stand-in engine: a hub that numbers messages and hands each
// plaintext to every other member's receiver with the public state of the moment (what
// the real engine does after decrypting). The real engine and relay are exercised by
// client/test/messaging.integration.test.ts; these tests cover every rule in isolation,
// including content a modified client injects past its own checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, utf8Encode } from '../../../crypto/src/bytes';
import type { PublicGroupState } from '../../../crypto/src/log/public-fold';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { primitivesFor } from '../../../crypto/src/primitives/select';
import { encodePolicyBytes, defaultPolicy } from '../../../crypto/src/redact/policy';
import { TOKEN_PATTERN } from '../../../crypto/src/redact';
import { arbContent } from '../../test/content/arbitraries';
import type { GroupPolicy, Role } from '../../../crypto/src/wire/log-entry';
import { decodeContent, encodeContent } from '../content/codec';
import { RECALL_WINDOW_MS } from '../content/limits';
import type { MessageContent } from '../content/types';
import { openChatList, type ChatList } from '../history/chat-list';
import { openHistory, type History } from '../history/history-store';
import { createMemoryBacking, createMemoryStore, type MemoryBacking } from '../store/memory-store';
import type { GroupMessaging, IncomingPlaintext } from './messaging-seam';
import { createMessaging, RECALL_NOTICE_TEXT, type Messaging, type MessagingEvents } from './messaging';

const p = primitivesFor('noble', nodeRandom);
const GROUP = new Uint8Array(16).fill(0x42);
const G = bytesToHex(GROUP);
const id = (n: number) => new Uint8Array(32).fill(n);
const OWNER = id(1);
const ADMIN = id(2);
const ALICE = id(3);
const BOB = id(4);

async function expectRejectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

interface Hub {
  policy: GroupPolicy;
  roles: Map<string, Role>;
  relayNow: number;
  sends: number;
  /** Every plaintext sent through the hub, in order. */
  sent: Uint8Array[];
  blobs: Map<string, Uint8Array>;
  state(): PublicGroupState;
  engine(self: Uint8Array): GroupMessaging;
  /** A modified client: content straight to the others, no local checks. */
  inject(sender: Uint8Array, content: MessageContent | Uint8Array): Promise<void>;
}

function createHub(): Hub {
  const receivers = new Map<string, (m: IncomingPlaintext) => Promise<void>>();
  let seq = 0;
  const hub: Hub = {
    policy: {
      joinPolicy: 'invite-only',
      mayInvite: 'admins',
      mayEditInfo: 'admins',
      maySendMedia: 'members',
      groupMuted: false,
      mutedMembers: [],
      piiPolicy: encodePolicyBytes(defaultPolicy()),
    },
    roles: new Map([
      [bytesToHex(OWNER), 'owner'],
      [bytesToHex(ADMIN), 'admin'],
      [bytesToHex(ALICE), 'member'],
      [bytesToHex(BOB), 'member'],
    ]),
    relayNow: 1_790_000_000_000,
    sends: 0,
    sent: [],
    blobs: new Map(),
    state() {
      const members = [...hub.roles].sort(([a], [b]) => (a < b ? -1 : 1)).map(([hex, role]) => ({
        memberId: Uint8Array.from(Buffer.from(hex, 'hex')),
        identityKey: new Uint8Array(32),
        role,
        leaveRequested: false,
      }));
      return { version: 1, groupId: GROUP, epoch: 3, headHash: new Uint8Array(32), dissolved: false, policy: hub.policy, members };
    },
    engine(self) {
      return {
        selfId: self,
        async sendPlaintext(groupId, plaintext) {
          hub.sends++;
          hub.sent.push(plaintext.slice());
          const s = ++seq;
          await deliver(self, groupId, plaintext, s);
          return { seq: s, epoch: 3 };
        },
        setReceiver(r) {
          receivers.set(bytesToHex(self), r);
        },
        publicState: (g) => (bytesToHex(g) === G ? hub.state() : undefined),
        groupInfo: () => undefined,
        async uploadBlob(_g, blob) {
          const blobId = p.randomBytes(16);
          hub.blobs.set(bytesToHex(blobId), blob.slice());
          return blobId;
        },
        async downloadBlob(blobId) {
          const b = hub.blobs.get(bytesToHex(blobId));
          if (!b) throw new Error('no blob');
          return b.slice();
        },
      };
    },
    async inject(sender, content) {
      const bytes = content instanceof Uint8Array ? content : encodeContent(content);
      await deliver(sender, GROUP, bytes, ++seq);
    },
  };
  async function deliver(sender: Uint8Array, groupId: Uint8Array, plaintext: Uint8Array, s: number): Promise<void> {
    for (const [hex, r] of receivers) {
      if (hex === bytesToHex(sender)) continue;
      await r({ groupId, seq: s, sender, epoch: 3, sentAt: hub.relayNow, plaintext, state: hub.state() });
    }
  }
  return hub;
}

interface Member {
  id: Uint8Array;
  m: Messaging;
  history: History;
  chats: ChatList;
  backing: MemoryBacking;
  events: { [K in keyof MessagingEvents]: MessagingEvents[K][] };
}

async function member(hub: Hub, self: Uint8Array, opts: { alertMentionsWhenMuted?: boolean; backing?: MemoryBacking } = {}): Promise<Member> {
  const backing = opts.backing ?? createMemoryBacking();
  const store = createMemoryStore(backing);
  const history = await openHistory(store);
  const chats = await openChatList(store, history, bytesToHex(self));
  await chats.ensure(G, 0);
  const m = await createMessaging(hub.engine(self), {
    primitives: p,
    history,
    chatList: chats,
    store,
    now: () => hub.relayNow,
    ...(opts.alertMentionsWhenMuted !== undefined ? { alertMentionsWhenMuted: opts.alertMentionsWhenMuted } : {}),
  });
  const events = { message: [], mention: [], recall: [], poll: [], question: [], dropped: [] } as Member['events'];
  for (const k of Object.keys(events) as (keyof MessagingEvents)[]) m.on(k, (e) => (events[k] as unknown[]).push(e));
  return { id: self, m, history, chats, backing, events };
}

const head = (n = 1) => ({ messageId: new Uint8Array(16).fill(0x70 + n), sentAt: 1_790_000_000_000 });
const texts = (mb: Member) => mb.history.page(G).messages.map((x) => x.text);

// A JPEG with an Exif/GPS block (structure as in crypto/test/message/image-metadata.test.ts).
const enc = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const seg = (marker: number, payload: Uint8Array) => concatBytes(Uint8Array.of(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255), payload);
const GPS = enc('GPS 31.2304N 121.4737E home');
const JPEG = concatBytes(
  Uint8Array.of(0xff, 0xd8),
  seg(0xe0, enc('JFIF\0\x01\x01\0\0\x01\0\x01\0\0')),
  seg(0xe1, concatBytes(enc('Exif\0\0'), GPS)),
  seg(0xdb, new Uint8Array(65).fill(3)),
  seg(0xc0, Uint8Array.of(8, 0, 1, 0, 1, 1, 1, 0x11, 0)),
  seg(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0)),
  Uint8Array.of(0x12, 0xff, 0x00, 0x34, 0xff, 0xd9),
);
const hasBytes = (hay: Uint8Array, needle: Uint8Array) => bytesToHex(hay).includes(bytesToHex(needle));

describe('messaging: text', () => {
  it('masks a phone number before sending; sender and receiver store the masked text; a mention alerts', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const sent = await alice.m.sendText(G, '我的电话 13812345678，明天见😀', { mentions: [bytesToHex(BOB)] });
    expect(sent.redacted).toBe(1);
    for (const mb of [alice, bob]) {
      const [t] = texts(mb);
      expect(t).toContain('😀');
      expect(t).not.toContain('13812345678');
      expect(t).toMatch(/138\*{4}5678/);
    }
    expect(bob.events.mention).toHaveLength(1);
    expect(bob.events.mention[0]!.alert).toBe(true);
    expect(bob.events.message[0]!.alert).toBe(true);
    expect(alice.events.message[0]!.alert).toBe(false);
    expect(bob.chats.get(G)).toMatchObject({ unread: 1, mentionUnread: 1 });
  });

  it('receivers redact too: a modified client cannot land an unmasked phone number in their history', async () => {
    const hub = createHub();
    const bob = await member(hub, BOB);
    await hub.inject(ALICE, { type: 'text', ...head(), text: '打 13812345678', mentions: [], mentionAll: false });
    expect(texts(bob)[0]).not.toContain('13812345678');
  });

  it('quotes a reply from the history, and refuses a reply to a message it does not have', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const first = await alice.m.sendText(G, '周五聚餐吗？');
    await bob.m.sendText(G, '好', { replyTo: first.messageId });
    const reply = alice.history.page(G).messages[1]!;
    expect(reply.replyTo).toBe(first.messageId);
    await expectRejectCode(bob.m.sendText(G, 'x', { replyTo: '00'.repeat(16) }), 'E2E_ERR_CONTENT_UNKNOWN_TARGET');
    const pic = await alice.m.sendImage(G, JPEG, { caption: '菜单' });
    await bob.m.sendText(G, '看到了', { replyTo: pic.messageId });
    const quoted = alice.history.page(G).messages.at(-1)!;
    expect(quoted.replyTo).toBe(pic.messageId);
    const carried = decodeContent(hub.sent.at(-1)!);
    expect(carried.type === 'text' && carried.replyTo?.preview).toBe('[图片] 菜单');
  });

  it('in a notification-muted group, plain messages do not alert but mentions and @all do (configurable)', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const carol = await member(hub, OWNER, { alertMentionsWhenMuted: false });
    await bob.chats.setMuted(G, true);
    await carol.chats.setMuted(G, true);
    await alice.m.sendText(G, 'hello');
    await alice.m.sendText(G, '@bob', { mentions: [BOB, OWNER] });
    await alice.m.sendText(G, '@all', { mentionAll: true });
    expect(bob.events.message.map((e) => e.alert)).toEqual([false, false, false]);
    expect(bob.events.mention.map((e) => e.alert)).toEqual([true, true]);
    expect(carol.events.mention.map((e) => e.alert)).toEqual([false, true]);
  });
});

describe('messaging: the group PII policy', () => {
  it('follows the signed policy: a token action replaces the number with a keyed token on both sides', async () => {
    const hub = createHub();
    hub.policy = { ...hub.policy, piiPolicy: encodePolicyBytes({ ...defaultPolicy(), actions: { CN_MOBILE: 'token' } }) };
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const sent = await alice.m.sendText(G, '电话 13812345678');
    for (const mb of [alice, bob]) {
      const t = mb.history.get(G, sent.messageId)!.text;
      expect(t).not.toContain('13812345678');
      expect(t).toMatch(TOKEN_PATTERN);
    }
  });

  it('an undecodable policy (the log carries it as opaque bytes) falls back to masking, and the group keeps working', async () => {
    const hub = createHub();
    hub.policy = { ...hub.policy, piiPolicy: utf8Encode('{"not":"a policy"}') };
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    await alice.m.sendText(G, '身份证 11010519491231002X 电话 13812345678');
    const [t] = texts(bob);
    expect(t).not.toContain('13812345678');
    expect(t).not.toContain('11010519491231002X');
  });
});

describe('messaging: policy, enforced by the sender and again by every receiver', () => {
  it('a muted member is refused locally (nothing sent), and receivers drop what a modified client sends anyway', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    hub.policy = { ...hub.policy, mutedMembers: [ALICE] };
    await expectRejectCode(alice.m.sendText(G, 'hi'), 'E2E_ERR_SDK_MUTED');
    await expectRejectCode(alice.m.createPoll(G, 'q', ['a', 'b']), 'E2E_ERR_SDK_MUTED');
    expect(hub.sends).toBe(0);
    await hub.inject(ALICE, { type: 'text', ...head(), text: 'hi', mentions: [], mentionAll: false });
    expect(texts(bob)).toEqual([]);
    expect(bob.m.stats().dropped).toEqual({ 'sender-muted': 1 });
    expect(bob.events.dropped[0]).toMatchObject({ reason: 'sender-muted', sender: bytesToHex(ALICE) });
  });

  it('a whole-group mute silences members but not admins', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const admin = await member(hub, ADMIN);
    hub.policy = { ...hub.policy, groupMuted: true };
    await expectRejectCode(alice.m.sendText(G, 'hi'), 'E2E_ERR_SDK_MUTED');
    await admin.m.sendText(G, '通知：全员禁言');
    expect(texts(alice)).toEqual(['通知：全员禁言']);
  });

  it('files are refused before anything is encrypted or uploaded when the policy reserves media to admins', async () => {
    const hub = createHub();
    const bob = await member(hub, BOB);
    const alice = await member(hub, ALICE);
    hub.policy = { ...hub.policy, maySendMedia: 'admins' };
    await expectRejectCode(bob.m.sendFile(G, new Uint8Array(10), { name: 'a.pdf' }), 'E2E_ERR_SDK_FORBIDDEN');
    await expectRejectCode(bob.m.sendImage(G, JPEG), 'E2E_ERR_SDK_FORBIDDEN');
    expect(hub.blobs.size).toBe(0);
    expect(hub.sends).toBe(0);
    await bob.m.sendText(G, 'text is still fine');
    const pointer = { kind: 'file' as const, blobId: new Uint8Array(4), key: new Uint8Array(32), digest: new Uint8Array(32), size: 10 };
    await hub.inject(BOB, { type: 'file', ...head(), pointer, mime: '', name: 'x', width: 0, height: 0, durationMs: 0, caption: '' });
    expect(alice.history.page(G).messages.map((m) => m.type)).toEqual(['text']);
    expect(alice.m.stats().dropped).toEqual({ 'media-forbidden': 1 });
  });

  it('caps attachment sizes per type before encrypting', async () => {
    const hub = createHub();
    const bob = await member(hub, BOB);
    await expectRejectCode(bob.m.sendVoice(G, new Uint8Array(2 * 1024 * 1024 + 1)), 'E2E_ERR_ATTACHMENT_TOO_LARGE');
    expect(hub.blobs.size).toBe(0);
  });

  it('drops malformed and unknown content, counted by reason', async () => {
    const hub = createHub();
    const bob = await member(hub, BOB);
    await hub.inject(ALICE, Uint8Array.of(1, 1, 2, 3));
    await hub.inject(ALICE, concatBytes(Uint8Array.of(1, 99), new Uint8Array(24)));
    await hub.inject(ALICE, concatBytes(encodeContent({ type: 'text', ...head(), text: 'x', mentions: [], mentionAll: false }), Uint8Array.of(0)));
    await hub.inject(ALICE, utf8Encode('plain text from an old client')); // version byte 0x70
    expect(bob.m.stats()).toEqual({ received: 4, dropped: { malformed: 2, unsupported: 2 } });
    expect(texts(bob)).toEqual([]);
  });
});

describe('messaging: attachments', () => {
  it('strips EXIF/GPS from an image before encrypting; the receiver downloads, decrypts and checks it', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    expect(hasBytes(JPEG, GPS)).toBe(true);
    const sent = await alice.m.sendImage(G, JPEG, { width: 1, height: 1, caption: '风景', thumbnail: JPEG });
    const [stored] = bob.history.page(G).messages;
    expect(stored).toMatchObject({ type: 'image', text: '风景', attachment: { mime: 'image/jpeg', width: 1, height: 1 } });
    for (const blob of hub.blobs.values()) expect(hasBytes(blob, GPS)).toBe(false);
    const image = await bob.m.downloadAttachment(G, sent.messageId);
    expect(hasBytes(image, GPS)).toBe(false);
    expect(image[0]).toBe(0xff);
    expect(image.length).toBe(JPEG.length - (GPS.length + 6 + 4));
    // A relay that swaps the blob bytes is caught.
    const [blobId, blob] = [...hub.blobs][0]!;
    blob[blob.length - 1]! ^= 1;
    hub.blobs.set(blobId, blob);
    await expect(bob.m.downloadAttachment(G, sent.messageId)).rejects.toMatchObject({ code: 'E2E_ERR_AUTH_FAILED' });
  });

  it('sends a file and a voice message with their metadata', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const pdf = utf8Encode('%PDF-1.4 合同内容');
    const f = await alice.m.sendFile(G, pdf, { name: '合同.pdf', mime: 'application/pdf' });
    await alice.m.sendVoice(G, new Uint8Array(300).fill(9), { durationMs: 4200, mime: 'audio/aac' });
    const [file, voice] = bob.history.page(G).messages;
    expect(file).toMatchObject({ type: 'file', attachment: { name: '合同.pdf', mime: 'application/pdf', size: pdf.length } });
    expect(voice).toMatchObject({ type: 'voice', attachment: { durationMs: 4200, size: 300 } });
    expect(await bob.m.downloadAttachment(G, f.messageId)).toEqual(pdf);
    await expectRejectCode(bob.m.downloadAttachment(G, bob.history.page(G).messages[0]!.messageId.replace(/^./, 'f')), 'E2E_ERR_CONTENT_UNKNOWN_TARGET');
  });

  it('refuses bad metadata before anything is encrypted or uploaded', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    await expect(alice.m.sendImage(G, JPEG, { width: 70_000 })).rejects.toThrow(RangeError);
    await expect(alice.m.sendFile(G, new Uint8Array(3), { mime: 'Not A Mime' })).rejects.toThrow(RangeError);
    await expectRejectCode(alice.m.sendFile(G, new Uint8Array(3), { name: '长'.repeat(200) }), 'E2E_ERR_CONTENT_TOO_LARGE');
    expect(hub.blobs.size).toBe(0);
    expect(hub.sends).toBe(0);
  });

  it('refuses an image format it cannot strip (send it as a file instead)', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    await expectRejectCode(alice.m.sendImage(G, enc('GIF89a....')), 'E2E_ERR_UNSUPPORTED_IMAGE');
    expect(hub.blobs.size).toBe(0);
  });
});

describe('messaging: polls and Q&A', () => {
  it('every member sees the same tally; only the creator or an admin closes; nothing counts after', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const admin = await member(hub, ADMIN);
    const poll = await alice.m.createPoll(G, '团建去哪', ['爬山', '密室', '火锅'], { maxChoices: 2 });
    await bob.m.vote(G, poll.messageId, [0, 2]);
    await alice.m.vote(G, poll.messageId, [2]);
    await admin.m.vote(G, poll.messageId, [1]);
    await bob.m.vote(G, poll.messageId, [2]); // changes his mind
    for (const mb of [alice, bob, admin]) expect((await mb.m.poll(G, poll.messageId))!.tally).toEqual({ counts: [0, 1, 2], voters: 3, closed: false });
    await expectRejectCode(bob.m.vote(G, poll.messageId, [0, 1, 2]), 'E2E_ERR_CONTENT_REFUSED');
    await expectRejectCode(bob.m.closePoll(G, poll.messageId), 'E2E_ERR_CONTENT_REFUSED');
    await hub.inject(BOB, { type: 'poll-close', ...head(), pollId: Buffer.from(poll.messageId, 'hex') });
    expect(alice.m.stats().dropped).toEqual({ 'not-allowed': 1 });
    await admin.m.closePoll(G, poll.messageId);
    await expectRejectCode(bob.m.vote(G, poll.messageId, [0]), 'E2E_ERR_CONTENT_REFUSED');
    await hub.inject(BOB, { type: 'poll-vote', ...head(2), pollId: Buffer.from(poll.messageId, 'hex'), choices: [0] });
    for (const mb of [alice, bob, admin]) expect((await mb.m.poll(G, poll.messageId))!.tally).toEqual({ counts: [0, 1, 2], voters: 3, closed: true });
    await expectRejectCode(bob.m.vote(G, '11'.repeat(16), [0]), 'E2E_ERR_CONTENT_UNKNOWN_TARGET');
  });

  it('poll state survives a restart (persisted in the store)', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const backing = createMemoryBacking();
    const bob = await member(hub, BOB, { backing });
    const poll = await alice.m.createPoll(G, 'q', ['a', 'b']);
    await alice.m.vote(G, poll.messageId, [1]);
    await bob.history.close();
    const again = await member(createHub(), BOB, { backing });
    expect((await again.m.poll(G, poll.messageId))!.tally.counts).toEqual([0, 1]);
  });

  it('Q&A: answers collect in order; only the asker accepts', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const q = await alice.m.askQuestion(G, '报销找谁？');
    const a1 = await bob.m.answer(G, q.messageId, '找财务小王');
    await expectRejectCode(bob.m.acceptAnswer(G, q.messageId, a1.messageId), 'E2E_ERR_CONTENT_REFUSED');
    await alice.m.acceptAnswer(G, q.messageId, a1.messageId);
    for (const mb of [alice, bob]) {
      const s = (await mb.m.question(G, q.messageId))!;
      expect(s.answers.map((x) => x.text)).toEqual(['找财务小王']);
      expect(s.accepted).toBe(a1.messageId);
    }
    await expectRejectCode(bob.m.answer(G, '22'.repeat(16), 'x'), 'E2E_ERR_CONTENT_UNKNOWN_TARGET');
  });
});

describe('messaging: recall', () => {
  it('the sender recalls within 2 minutes: the message is replaced by a notice on every side', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const sent = await alice.m.sendText(G, '发错群了');
    hub.relayNow += RECALL_WINDOW_MS - 1;
    await alice.m.recall(G, sent.messageId);
    for (const mb of [alice, bob]) {
      expect(mb.history.get(G, sent.messageId)).toBeUndefined();
      expect(mb.history.page(G).messages.map((m) => [m.type, m.text])).toEqual([['system', RECALL_NOTICE_TEXT]]);
      expect(mb.history.search({ text: '发错' }).total).toBe(0);
    }
    expect(bob.events.recall).toEqual([{ groupId: G, messageId: sent.messageId, by: bytesToHex(ALICE) }]);
  });

  it('too late: refused by the sender and dropped by receivers that a modified client reaches', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const sent = await alice.m.sendText(G, '旧消息');
    hub.relayNow += RECALL_WINDOW_MS + 1;
    await expectRejectCode(alice.m.recall(G, sent.messageId), 'E2E_ERR_CONTENT_REFUSED');
    await hub.inject(ALICE, { type: 'recall', ...head(), targetId: Buffer.from(sent.messageId, 'hex') });
    expect(texts(bob)).toEqual(['旧消息']);
    expect(bob.m.stats().dropped).toEqual({ 'recall-too-late': 1 });
  });

  it("a member cannot recall someone else's message; an admin can recall a member's, at any time", async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const admin = await member(hub, ADMIN);
    const sent = await alice.m.sendText(G, '广告');
    await expectRejectCode(bob.m.recall(G, sent.messageId), 'E2E_ERR_CONTENT_REFUSED');
    await hub.inject(BOB, { type: 'recall', ...head(), targetId: Buffer.from(sent.messageId, 'hex') });
    expect(texts(admin)).toEqual(['广告']);
    hub.relayNow += 10 * RECALL_WINDOW_MS;
    await admin.m.recall(G, sent.messageId);
    for (const mb of [alice, bob, admin]) expect(mb.history.get(G, sent.messageId)).toBeUndefined();
  });

  it('recalling a poll removes its state', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    const bob = await member(hub, BOB);
    const poll = await alice.m.createPoll(G, 'q', ['a', 'b']);
    await alice.m.recall(G, poll.messageId);
    expect(await bob.m.poll(G, poll.messageId)).toBeUndefined();
    await expectRejectCode(bob.m.vote(G, poll.messageId, [0]), 'E2E_ERR_CONTENT_UNKNOWN_TARGET');
  });
});

describe('messaging: the receiver never wedges the group', () => {
  it('any content from any member is either applied or dropped once; the receiver never throws (property)', async () => {
    const hub = createHub();
    const bob = await member(hub, BOB);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arbContent, fc.constantFrom(OWNER, ADMIN, ALICE), fc.boolean(), async (c, sender, junk) => {
        const bytes = encodeContent(c);
        if (junk) bytes[bytes.length >> 1]! ^= 0x5a;
        const before = bob.m.stats();
        const droppedBefore = Object.values(before.dropped).reduce((a, b) => a + b, 0);
        const shownBefore = bob.events.message.length + bob.events.poll.length + bob.events.question.length + bob.events.recall.length;
        await hub.inject(sender, bytes);
        n++;
        const after = bob.m.stats();
        expect(after.received).toBe(n);
        const droppedNow = Object.values(after.dropped).reduce((a, b) => a + b, 0) - droppedBefore;
        const shownNow = bob.events.message.length + bob.events.poll.length + bob.events.question.length + bob.events.recall.length - shownBefore;
        // Exactly one outcome: dropped once, or applied (an event raised), never both.
        expect(droppedNow + (shownNow > 0 ? 1 : 0)).toBe(1);
      }),
      { numRuns: 150 },
    );
  });
});

describe('messaging: batches (catch-up)', () => {
  it('a batch gives the same history, state and events as one by one, with events raised after the messages are stored', async () => {
    const hub = createHub();
    const one = await member(hub, BOB);
    const many = await member(createHub(), ALICE);
    const state = hub.state();
    const poll = { type: 'poll-create', ...head(1), question: 'q', options: ['a', 'b'], maxChoices: 1 } as const;
    const contents: MessageContent[] = [
      { type: 'text', ...head(2), text: '第一条 13812345678', mentions: [ALICE, BOB], mentionAll: false },
      poll,
      { type: 'poll-vote', ...head(3), pollId: poll.messageId, choices: [1] },
      { type: 'text', ...head(4), text: '发错了', mentions: [], mentionAll: false },
      { type: 'recall', ...head(5), targetId: head(4).messageId },
      { type: 'text', ...head(2), text: 'same ID again', mentions: [], mentionAll: false },
    ];
    const incoming = contents.map((c, i) => ({ groupId: GROUP, seq: i + 1, sender: OWNER, epoch: 3, sentAt: hub.relayNow, plaintext: encodeContent(c), state }));
    const seenInHistory: boolean[] = [];
    many.m.on('message', (e) => seenInHistory.push(many.history.get(G, e.message.messageId) !== undefined || e.message.type === 'system'));
    await many.m.receiveMany(incoming);
    for (const m of incoming) await hub.inject(OWNER, m.plaintext);
    const view = (mb: Member) => mb.history.page(G).messages.map((m) => [m.type, m.text, m.messageId]);
    expect(view(many)).toEqual(view(one));
    expect(view(many).map((v) => v[1])).toEqual(['第一条 138****5678', 'q', RECALL_NOTICE_TEXT]);
    expect((await many.m.poll(G, poll.messageId))!.tally).toEqual((await one.m.poll(G, poll.messageId))!.tally);
    expect(many.m.stats().dropped).toEqual({ duplicate: 1 });
    expect(one.m.stats().dropped).toEqual({ duplicate: 1 });
    expect(seenInHistory.length).toBeGreaterThan(0);
    expect(seenInHistory.every(Boolean)).toBe(true);
    expect(many.events.mention.map((e) => e.message.messageId)).toEqual([bytesToHex(head(2).messageId)]);
  });

  it('registers itself as the batch receiver when the engine offers one', async () => {
    const hub = createHub();
    let batch: ((ms: readonly IncomingPlaintext[]) => Promise<void>) | undefined;
    const engine = { ...hub.engine(BOB), setBatchReceiver: (r: (ms: readonly IncomingPlaintext[]) => Promise<void>) => (batch = r) };
    const store = createMemoryStore();
    const history = await openHistory(store);
    const chats = await openChatList(store, history, bytesToHex(BOB));
    await createMessaging(engine, { primitives: p, history, chatList: chats, store, now: () => 1 });
    expect(batch).toBeTypeOf('function');
    const c = encodeContent({ type: 'text', ...head(), text: 'hi', mentions: [], mentionAll: false });
    await batch!([{ groupId: GROUP, seq: 1, sender: ALICE, epoch: 3, sentAt: 1, plaintext: c, state: hub.state() }]);
    expect(history.page(G).messages.map((m) => m.text)).toEqual(['hi']);
  });
});

describe('messaging: caller bugs', () => {
  it('names bad arguments with TypeError/RangeError', async () => {
    const hub = createHub();
    const alice = await member(hub, ALICE);
    await expect(alice.m.sendText('zz', 'x')).rejects.toThrow(RangeError);
    await expect(alice.m.sendText(G, 5 as unknown as string)).rejects.toThrow(TypeError);
    await expect(alice.m.sendText(G, 'x', { mentions: ['ab'] })).rejects.toThrow(RangeError);
    await expectRejectCode(alice.m.sendText('00'.repeat(16), 'x'), 'E2E_ERR_SDK_UNKNOWN_GROUP');
  });
});
