// One demo member: its own process, its own device keys and store, driven by the
// orchestrator over IPC (demo/ipc.ts, operations in demo/protocol.ts). Everything it does
// goes through the SDK (ChatClient + messaging), exactly as the terminal chat and the mini
// program do; only `tryToRead` reaches under it, to play a kicked member that keeps every
// key it ever had.
//
//   node --import tsx demo/member.ts --name 王秀兰 --data DIR     (the relay URL comes with start())
import { bytesToHex, hexToBytes } from '../crypto/src/bytes';
import { decryptGroupMessage } from '../crypto/src/message/decrypt';
import { decodeGroupMessageHeader } from '../crypto/src/wire/message';
import { openNodeDevice, type NodeDevice } from '../client/cli/node-client';
import { decodeReceiverRecord, groupKey } from '../client/src/sdk/group-records';
import { serveMember } from './ipc';
import type { MemberOps, ReadAttempt, SeenMessage } from './protocol';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) {
    process.stderr.write(`demo member: --${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const name = arg('name');
const dataDir = arg('data');

let device: NodeDevice | undefined;
const dev = (): NodeDevice => {
  if (!device) throw new Error('start first');
  return device;
};

/** Receiver records (all keys of the group) as last seen while still a member: a kicked device that deletes nothing. */
const keptRecv = new Map<string, Uint8Array>();
/** Messages delivered per group after this device was removed from it. */
const afterRemoval = new Map<string, number>();
const removed = new Set<string>();

function seen(groupId: string, m: { messageId: string; sender: string; seq: number; type: string; text: string; attachment?: { name?: string; mime?: string; size?: number } }): SeenMessage {
  return {
    groupId,
    messageId: m.messageId,
    sender: m.sender,
    seq: m.seq,
    type: m.type,
    text: m.text,
    ...(m.type === 'poll' ? { pollId: m.messageId } : {}),
    ...(m.attachment ? { attachment: { name: m.attachment.name, mime: m.attachment.mime, size: m.attachment.size } } : {}),
  };
}

async function keepKeys(groupId: string): Promise<void> {
  if (removed.has(groupId)) return;
  const rec = await dev().store.get(groupKey(groupId, 'recv'));
  if (rec) keptRecv.set(groupId, rec);
}

const ops: MemberOps = {
  async start(relayUrl) {
    device = await openNodeDevice({ dataDir, relayUrl });
    const { client, messaging } = device;
    messaging.on('message', (e) => {
      if (removed.has(e.groupId)) afterRemoval.set(e.groupId, (afterRemoval.get(e.groupId) ?? 0) + 1);
      if (e.message.sender !== client.memberIdHex) emit('message', seen(e.groupId, e.message));
      void keepKeys(e.groupId).catch(() => undefined);
    });
    client.on('status', (s) => {
      const gid = bytesToHex(s.groupId);
      if (s.status === 'active') {
        emit('joined', { groupId: gid, name: client.group(gid)?.info?.name ?? '' });
        void keepKeys(gid).catch(() => undefined);
      }
      if (s.status === 'removed') {
        removed.add(gid);
        emit('removed', { groupId: gid });
      }
    });
    client.on('membership', (m) => emit('membership', { groupId: bytesToHex(m.groupId), text: `${m.kind} ${m.members.map((x) => bytesToHex(x).slice(0, 8)).join(',')}` }));
    client.on('alarm', (a) => emit('alarm', { ...(a.groupId ? { groupId: bytesToHex(a.groupId) } : {}), text: `${a.kind} ${a.code}` }));
    client.on('error', (e) => process.stderr.write(`${e.operation}: ${(e.error as Error)?.message ?? String(e.error)}\n`));
    return { memberId: client.memberIdHex };
  },

  async createGroup(groupName, type) {
    const id = await dev().client.createGroup({ name: groupName, type, policy: { joinPolicy: 'open', mayInvite: 'admins' } });
    return { groupId: bytesToHex(id) };
  },

  async invite(groupId, memberId) {
    await dev().client.invite(groupId, memberId);
  },

  async createInviteLink(groupId) {
    return { link: await dev().client.createInviteLink(groupId, { expiresAt: Date.now() + 24 * 3600_000, maxUses: 5 }) };
  },

  async join(link) {
    await dev().client.join(link, { name });
  },

  async sendText(groupId, text) {
    const { messaging, client } = dev();
    const sent = await messaging.sendText(groupId, text);
    const stored = client.history.get(groupId, sent.messageId);
    return { messageId: sent.messageId, sentText: stored?.text ?? '' };
  },

  async sendImage(groupId, bytes, fileName, caption) {
    const sent = await dev().messaging.sendImage(groupId, bytes, { mime: 'image/jpeg', name: fileName, caption, width: 8, height: 8 });
    return { messageId: sent.messageId };
  },

  async downloadImage(groupId, messageId) {
    return dev().messaging.downloadAttachment(groupId, messageId);
  },

  async createPoll(groupId, question, options) {
    const sent = await dev().messaging.createPoll(groupId, question, options);
    return { pollId: sent.messageId };
  },

  async vote(groupId, pollId, option) {
    await dev().messaging.vote(groupId, pollId, [option]);
  },

  async pollTally(groupId, pollId) {
    const poll = await dev().messaging.poll(groupId, pollId);
    if (!poll) throw new Error('no such poll here');
    return { question: poll.question, options: poll.options.map((text, i) => ({ text, votes: poll.tally.counts[i] ?? 0 })), voters: poll.tally.voters };
  },

  async kick(groupId, memberId) {
    await dev().client.kick(groupId, memberId);
  },

  async members(groupId) {
    return (dev().client.group(groupId)?.members ?? []).map((m) => bytesToHex(m.memberId));
  },

  async history(groupId) {
    const page = dev().client.history.page(groupId, { limit: 500 });
    return page.messages.map((m) => seen(groupId, m));
  },

  async tryToRead(groupId, ciphertexts): Promise<ReadAttempt> {
    const { client, p } = dev();
    let fetch: ReadAttempt['fetch'];
    try {
      const page = await client.relay.api.fetchMessages(hexToBytes(groupId), 0, 100);
      fetch = { refused: false, count: page.items.length };
    } catch (e) {
      fetch = { refused: true, code: (e as { code?: string }).code ?? String(e) };
    }
    const kept = keptRecv.get(groupId);
    const state = kept ? decodeReceiverRecord(kept).state : null;
    const decrypt = ciphertexts.map(({ seq, body }) => {
      const epoch = decodeGroupMessageHeader(body).epoch;
      if (!state) return { seq, epoch, ok: false, code: 'no keys kept' };
      try {
        const out = decryptGroupMessage(p, state, body);
        return { seq, epoch, ok: true, text: `${out.plaintext.length} bytes of content` };
      } catch (e) {
        return { seq, epoch, ok: false, code: (e as { code?: string }).code ?? String(e) };
      }
    });
    return { delivered: afterRemoval.get(groupId) ?? 0, fetch, decrypt, keptEpoch: state?.epochs[0]?.epoch ?? null };
  },

  async shutdown() {
    const d = device;
    device = undefined;
    setTimeout(() => process.exit(0), 50);
    await d?.close().catch(() => undefined);
  },
};

const { emit } = serveMember(ops as unknown as Record<string, (...args: never[]) => Promise<unknown>>);
process.on('unhandledRejection', (e) => process.stderr.write(`unhandled: ${(e as Error)?.message ?? String(e)}\n`));
