// SDK state -> view model: plain data only, names, roles and mutes, masked previews,
// left/removed/dissolved notices, pending sends, polls and Q&A, PII policy labels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../crypto/src/bytes';
import { defaultPolicy, encodePolicyBytes } from '../../crypto/src/redact/policy';
import type { GroupPolicy } from '../../crypto/src/wire/log-entry';
import type { PublicGroupState } from '../../crypto/src/wire/public-state';
import type { ChatEntry } from '../../client/src/history/chat-list';
import type { StoredMessage } from '../../client/src/history/types';
import { findNonPlainValue } from '../lib/plain-data';
import { displayName, piiCategories, presentApp, type GroupSource, type PresentInput } from './present-sdk';

const id = (b: number) => new Uint8Array(32).fill(b);
const OWNER = id(1);
const ADMIN = id(2);
const ME = id(3);
const MUTED = id(4);
const hex = bytesToHex;
const GROUP = bytesToHex(new Uint8Array(16).fill(9));

function policy(over: Partial<GroupPolicy> = {}): GroupPolicy {
  return { joinPolicy: 'approval', mayInvite: 'admins', mayEditInfo: 'admins', maySendMedia: 'members', groupMuted: false, mutedMembers: [MUTED], piiPolicy: encodePolicyBytes(defaultPolicy()), ...over };
}

function state(over: Partial<PublicGroupState> = {}): PublicGroupState {
  return {
    version: 1,
    groupId: new Uint8Array(16).fill(9),
    epoch: 4,
    headHash: new Uint8Array(32),
    dissolved: false,
    policy: policy(),
    members: [OWNER, ADMIN, ME, MUTED].map((m, i) => ({ memberId: m, identityKey: id(100 + i), role: i === 0 ? 'owner' : i === 1 ? 'admin' : 'member', leaveRequested: false })),
    ...over,
  };
}

function group(over: Partial<GroupSource> = {}): GroupSource {
  return { groupId: GROUP, status: 'active', info: { name: '家长群', type: 'private', announcement: '周六开会' }, state: state(), canSend: true, inviteId: '', myNickname: '', ...over };
}

function msg(over: Partial<StoredMessage> & { messageId: string }): StoredMessage {
  return { groupId: GROUP, sender: hex(OWNER), seq: 1, timestamp: 1_700_000_000_000, type: 'text', text: '你好', mentions: [], mentionAll: false, ...over };
}

function chat(over: Partial<ChatEntry> = {}): ChatEntry {
  return { groupId: GROUP, pinned: false, muted: false, remark: '', lastReadSeq: 0, lastActivity: 1, unread: 2, mentionUnread: 1, ...over };
}

function input(over: Partial<PresentInput> = {}): PresentInput {
  const messages = [
    msg({ messageId: 'a1', text: '电话138****5678' }),
    msg({ messageId: 'a2', sender: hex(ME), seq: 2, text: '收到', replyTo: 'a1' }),
    msg({ messageId: 'a3', seq: 3, text: '@所有人 明天见', mentionAll: true }),
    msg({ messageId: 'p1', seq: 4, type: 'poll', text: '去哪？' }),
    msg({ messageId: 'f1', seq: 5, type: 'file', text: '', attachment: { name: '合同.pdf', size: 2048, blobId: 'ff', key: '00'.repeat(32) } }),
  ];
  return {
    selfId: hex(ME),
    myNickname: '王老师',
    names: new Map([[hex(OWNER), '李律师']]),
    groups: [group()],
    chats: [chat({ lastMessage: messages[4] })],
    messages: new Map([[GROUP, messages]]),
    polls: new Map([['p1', { state: { v: 1, pollId: 'p1', creator: hex(OWNER), question: '去哪？', options: ['公园', '博物馆'], maxChoices: 1, closed: false, votes: { [hex(ME)]: [1] } }, tally: { counts: [0, 1], voters: 1, closed: false }, myChoices: [1] }]]),
    questions: new Map(),
    localPaths: new Map([['f1', 'wxfile://usr/attachments/f1']]),
    pending: [{ groupId: GROUP, messageId: 'local-1', text: '正在发', sentAt: 2, failed: false }],
    alert: null,
    problem: '',
    ready: true,
    search: { query: '', results: [], searching: false },
    ...over,
  };
}

describe('presentApp', () => {
  it('builds a view model of plain data only (no bytes, keys or BigInt), with hex IDs', () => {
    const vm = presentApp(input({ memberPages: [`${GROUP}/${hex(OWNER)}`], safetyNumbers: new Map([[hex(OWNER), '12345 67890']]) }));
    expect(findNonPlainValue(vm)).toBeNull();
    expect(JSON.stringify(vm)).not.toMatch(/"identityKey"|headHash|piiPolicy/);
    expect(vm.members[`${GROUP}/${hex(OWNER)}`]?.safetyNumber).toBe('12345 67890');
  });

  it('chat view: sides, names, mentions, reply quotes, polls with my vote, local attachment paths and pending sends', () => {
    const view = presentApp(input()).chatViews[GROUP]!;
    expect(view.name).toBe('家长群');
    expect(view.memberCount).toBe(4);
    expect(view.me).toEqual({ memberId: hex(ME), role: 'member', mutedBySomeone: false });
    const [a1, a2, a3, p1, f1, pending] = view.messages;
    expect(a1).toMatchObject({ senderName: '李律师', mine: false, text: '电话138****5678', mentionsMe: false, status: 'sent' });
    expect(a2).toMatchObject({ mine: true, senderName: '王老师', replyTo: { messageId: 'a1', senderName: '李律师', preview: '电话138****5678' } });
    expect(a3?.mentionsMe).toBe(true);
    expect(p1?.poll).toEqual({ question: '去哪？', closed: false, options: [{ optionId: '0', text: '公园', votes: 0, mine: false }, { optionId: '1', text: '博物馆', votes: 1, mine: true }] });
    expect(f1?.attachment).toEqual({ localPath: 'wxfile://usr/attachments/f1', name: '合同.pdf', sizeBytes: 2048, durationSec: 0 });
    expect(pending).toMatchObject({ messageId: 'local-1', mine: true, status: 'sending', text: '正在发' });
  });

  it('members: owner, admins, then members; muted ones marked; unknown names get a short ID; the group-wide mute mutes members only', () => {
    const vm = presentApp(input());
    const members = vm.groupInfos[GROUP]!.members;
    expect(members.map((m) => m.role)).toEqual(['owner', 'admin', 'member', 'member']);
    expect(members.find((m) => m.memberId === hex(MUTED))?.muted).toBe(true);
    expect(members.find((m) => m.memberId === hex(ADMIN))?.nickname).toBe(`成员${hex(ADMIN).slice(0, 6)}`);
    expect(members.find((m) => m.memberId === hex(ME))?.nickname).toBe('王老师');
    const allMuted = presentApp(input({ groups: [group({ state: state({ policy: policy({ groupMuted: true }) }) })] }));
    expect(allMuted.chatViews[GROUP]!.me.mutedBySomeone).toBe(true);
    expect(allMuted.groupInfos[GROUP]!.permissions).toEqual({ whoMayInvite: 'admins', whoMayEditInfo: 'admins', whoMaySendMedia: 'everyone', allMuted: true });
    expect(allMuted.groupInfos[GROUP]!.joinPolicy).toBe('admin-approval');
  });

  it('chat list: remark over name, unread and @ flags, previews with the sender, and a notice once left, removed or dissolved', () => {
    const row = presentApp(input()).chats[0]!;
    expect(row).toMatchObject({ chatId: GROUP, name: '家长群', unread: 2, mentioned: true, left: false, lastPreview: '李律师: [文件]' });
    expect(presentApp(input({ chats: [chat({ remark: '孩子班级' })] })).chats[0]!.name).toBe('孩子班级');
    for (const [status, text] of [['left', '你已退出群聊'], ['removed', '你已被移出群聊'], ['dissolved', '群聊已解散']] as const) {
      const vm = presentApp(input({ groups: [group({ status })] }));
      expect(vm.chats[0]).toMatchObject({ left: true, lastPreview: text });
      expect(vm.chatViews[GROUP]!.left).toBe(true);
      expect(vm.groupInfos[GROUP]!.members).toEqual([]);
    }
  });

  it('the PII policy shows as the Chinese names of what is masked; a broken policy shows nothing rather than throwing', () => {
    const labels = piiCategories(encodePolicyBytes(defaultPolicy()));
    expect(labels).toContain('手机号');
    expect(labels).toContain('身份证');
    expect(labels).toContain('银行卡');
    expect(new Set(labels).size).toBe(labels.length);
    const allowPhones = { ...defaultPolicy(), actions: { CN_MOBILE: 'allow' as const } };
    expect(piiCategories(encodePolicyBytes(allowPhones))).not.toContain('手机号');
    expect(piiCategories(new Uint8Array([1, 2, 3]))).toEqual([]);
    expect(presentApp(input()).groupInfos[GROUP]!.piiMasked).toEqual(labels);
  });

  it('names never come out empty, whatever the SDK knows', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string(), (memberId, nick) => {
        const name = displayName(memberId, new Map([[memberId, nick]]));
        expect(name.trim().length).toBeGreaterThan(0);
      }),
    );
  });
});
