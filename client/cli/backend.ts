// The terminal chat's ChatBackend on the SDK: one Node device (node-client.ts), its
// ChatClient for groups and its messaging layer for text, history and search.
import { bytesToHex } from '../../crypto/src/bytes';
import { formatSafetyNumber } from '../../crypto/src/identity/safety-number';
import type { StoredMessage } from '../src/history/types';
import type { BackendEvent, ChatBackend, ChatLine, GroupSummary, MemberSummary } from './app';
import type { NodeDevice } from './node-client';

/** Links the terminal chat creates: anyone holding one is admitted while a member is online. */
export const CLI_JOIN_POLICY = 'open';

function lineOf(m: StoredMessage, self: string): ChatLine {
  return {
    groupId: m.groupId,
    messageId: m.messageId,
    sender: m.sender,
    type: m.type,
    text: m.type === 'text' || m.text ? m.text : m.attachment?.name ?? '',
    timestamp: m.timestamp,
    mention: m.mentionAll || m.mentions.includes(self),
  };
}

export function createSdkBackend(device: NodeDevice, selfName: string): ChatBackend {
  const { client, messaging } = device;
  const self = client.memberIdHex;
  const handlers: ((e: BackendEvent) => void)[] = [];
  const emit = (e: BackendEvent) => handlers.forEach((h) => h(e));

  messaging.on('message', (e) => emit({ kind: 'message', line: lineOf(e.message, self) }));
  client.on('status', (s) => {
    const groupId = bytesToHex(s.groupId);
    const g = client.group(groupId);
    if (s.status === 'active') {
      // Our own new group is announced by /create; a group we were added to is news.
      if (g && g.role === 'owner' && g.members.length === 1) return;
      emit({ kind: 'joined', groupId, name: g?.info?.name ?? groupId.slice(0, 8) });
    } else if (s.status === 'removed') emit({ kind: 'removed', groupId });
    else if (s.status === 'dissolved') emit({ kind: 'membership', groupId, text: 'the group was dissolved' });
  });
  client.on('membership', (m) => {
    const groupId = bytesToHex(m.groupId);
    const who = m.members.map((x) => (bytesToHex(x) === self ? 'you' : bytesToHex(x).slice(0, 8))).join(', ');
    const by = bytesToHex(m.actor) === self ? 'you' : bytesToHex(m.actor).slice(0, 8);
    if (m.kind === 'added') emit({ kind: 'membership', groupId, text: `${who} joined (added by ${by})` });
    else if (m.kind === 'removed') emit({ kind: 'membership', groupId, text: `${who} removed (by ${by}); new group key` });
    else if (m.kind === 'leave-requested') emit({ kind: 'membership', groupId, text: `${who} is leaving` });
    else if (m.kind === 'role') emit({ kind: 'membership', groupId, text: `${who} is now ${m.role ?? 'member'}` });
    else if (m.kind === 'owner') emit({ kind: 'membership', groupId, text: `${who} is the new owner` });
  });
  client.on('alarm', (a) => emit({ kind: 'alarm', ...(a.groupId ? { groupId: bytesToHex(a.groupId) } : {}), text: `security alarm: ${a.kind} (${a.code})` }));
  client.on('joinRequest', (r) => emit({ kind: 'joinRequest', groupId: bytesToHex(r.groupId), text: `join request #${r.requestId} waits for approval` }));
  client.on('connection', (c) => {
    if (c.state !== 'connecting') emit({ kind: 'connection', state: c.state });
  });

  return {
    selfId: self,
    async listGroups(): Promise<GroupSummary[]> {
      return client
        .groups()
        .filter((g) => g.status === 'active')
        .map((g) => ({ id: g.groupIdHex, name: g.info?.name || g.groupIdHex.slice(0, 8), unread: g.chat?.unread ?? 0, members: g.members.length }));
    },
    async createGroup(name, isPrivate) {
      const id = await client.createGroup({ name, type: isPrivate ? 'private' : 'normal', policy: { joinPolicy: CLI_JOIN_POLICY } });
      return bytesToHex(id);
    },
    async invite(groupId, memberId) {
      await client.invite(groupId, memberId);
    },
    createInviteLink(groupId, hours, uses) {
      return client.createInviteLink(groupId, { expiresAt: Date.now() + hours * 3_600_000, maxUses: uses });
    },
    async join(link) {
      await client.join(link.trim(), { name: selfName });
      return {};
    },
    async members(groupId): Promise<MemberSummary[]> {
      return (client.group(groupId)?.members ?? []).map((m) => ({ id: bytesToHex(m.memberId), role: m.role }));
    },
    async kick(groupId, memberId) {
      await client.kick(groupId, memberId);
    },
    async leave(groupId) {
      await client.leave(groupId);
    },
    async safetyNumber(_groupId, memberId) {
      const digits = client.safetyNumber(memberId);
      return /^\d{60}$/.test(digits) ? formatSafetyNumber(digits) : digits;
    },
    async search(text) {
      return client.history.search({ text, limit: 20 }).messages.map((m) => lineOf(m, self));
    },
    async history(groupId, limit) {
      if (limit <= 0) return [];
      return client.history.page(groupId, { limit }).messages.map((m) => lineOf(m, self));
    },
    async sendText(groupId, text) {
      const sent = await messaging.sendText(groupId, text);
      return { text: client.history.get(groupId, sent.messageId)?.text ?? text };
    },
    async markRead(groupId) {
      const latest = client.history.latest(groupId);
      if (latest) await client.markRead(groupId, latest.seq);
    },
    onEvent(handler) {
      handlers.push(handler);
    },
    close: () => device.close(),
  };
}
