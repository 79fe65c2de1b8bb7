// The bundled SDK (lib/sdk.js) in three logic-layer sandboxes against a real relay on
// loopback: each member is a whole mini program client (entropy pool from the async
// wx.getRandomValues, store on the file system manager, wx sockets and requests, the
// view-model runtime). Two members create a group and chat, kick a third, and the third
// cannot read what follows.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { decodeGroupMessageHeader } from '../../crypto/src/wire/message';
import { decodeMemberRecord, decodeReceiverRecord, groupKey } from '../../client/src/sdk/group-records';
import { openFsmStore } from '../../client/src/store/fsm-store';
import { createNodeBackedFsm } from '../../client/test/fake-fsm';
import type { Intent } from '../lib/intents';
import type { AppViewModel } from '../lib/view-model';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import { bridgeBundle, loadSdkWithBridge, sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

interface Runtime {
  perform(intent: Intent): Promise<void>;
  refresh(): Promise<AppViewModel>;
  current(): AppViewModel;
  close(): Promise<void>;
  client: {
    memberIdHex: string;
    invite(group: string, memberId: string): Promise<void>;
    idle(group: string): Promise<void>;
    group(group: string): { epoch: number; status: string } | undefined;
    history: { page(g: string, q: { limit: number }): { messages: { text: string }[] } };
    relay: { api: { fetchMessages(g: Uint8Array, after: number, limit: number): Promise<{ items: { seq: number; ciphertext: Uint8Array }[] }> } };
  };
}
interface Sdk {
  startMiniProgram(o: Record<string, unknown>): Promise<Runtime>;
  hexToBytes(hex: string): Uint8Array;
}

let relay: TestRelay;
let bundleCode = '';
let bridgeCode = '';
const sandboxes: LogicLayerSandbox[] = [];
const runtimes: Runtime[] = [];

async function member(name: string): Promise<{ rt: Runtime; sdk: Sdk; views: AppViewModel[]; sandbox: LogicLayerSandbox }> {
  const s = createLogicLayerSandbox();
  sandboxes.push(s);
  const sdk = loadSdkWithBridge<Sdk>(s, bundleCode, bridgeCode);
  const views: AppViewModel[] = [];
  const rt = await sdk.startMiniProgram({
    relayUrl: relay.httpUrl,
    publish: (vm: AppViewModel) => views.push(vm),
    engine: { autoCommitJitterMs: 20, sendWaitMs: 10_000 },
    storeDir: name,
  });
  runtimes.push(rt);
  return { rt, sdk, views, sandbox: s };
}

/** Polls until `check` passes (the SDK works asynchronously over real sockets). */
async function eventually<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const texts = (vm: AppViewModel, chatId: string) => (vm.chatViews[chatId]?.messages ?? []).map((m) => m.text);

beforeAll(async () => {
  bundleCode = (await sdkBundle()).code;
  bridgeCode = (await bridgeBundle()).code;
  relay = await startTestRelay();
});
afterAll(async () => {
  await Promise.allSettled(runtimes.map((r) => r.close()));
  await Promise.all(sandboxes.map((s) => s.close()));
  await relay.cleanup();
});

describe('three sandboxed mini programs on a real relay', () => {
  it('create a group, chat, kick the third; the third sees the group left and cannot read what follows', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const carol = await member('carol');

    await alice.rt.perform({ type: 'create-group', name: '三年二班家长群', kind: 'normal', joinPolicy: 'invite-only' });
    const groupId = await eventually('alice sees her group', () => alice.rt.current().chats[0]?.chatId);
    expect(alice.rt.current().chatViews[groupId]?.me.role).toBe('owner');

    await alice.rt.client.invite(groupId, bob.rt.client.memberIdHex);
    await alice.rt.client.invite(groupId, carol.rt.client.memberIdHex);
    await eventually('bob joined', () => bob.rt.current().chatViews[groupId]?.memberCount === 3);
    await eventually('carol joined', () => carol.rt.current().chatViews[groupId]?.memberCount === 3);
    expect(bob.rt.current().chats.map((c) => c.name)).toEqual(['三年二班家长群']);

    await alice.rt.perform({ type: 'send-text', chatId: groupId, text: '周六开家长会 😀', replyTo: null, mentions: [], mentionAll: false });
    await eventually('bob reads alice', () => texts(bob.rt.current(), groupId).includes('周六开家长会 😀'));
    await eventually('carol reads alice', () => texts(carol.rt.current(), groupId).includes('周六开家长会 😀'));
    await bob.rt.perform({ type: 'send-text', chatId: groupId, text: '收到', replyTo: null, mentions: [], mentionAll: false });
    await eventually('alice reads bob', () => texts(alice.rt.current(), groupId).includes('收到'));
    const fromBob = alice.rt.current().chatViews[groupId]!.messages.find((m) => m.text === '收到')!;
    expect(fromBob.mine).toBe(false);
    expect(alice.rt.current().chatViews[groupId]!.messages.find((m) => m.text === '周六开家长会 😀')?.mine).toBe(true);

    const epochBefore = carol.rt.client.group(groupId)!.epoch;
    // What a kicked member who copies her files before the kick would keep.
    const before = await openFsmStore(createNodeBackedFsm(), join(carol.sandbox.userDataDir, 'carol'));
    const keptReceiver = decodeReceiverRecord((await before.get(groupKey(groupId, 'recv')))!).state;
    await before.close();
    await alice.rt.perform({ type: 'kick', chatId: groupId, memberId: carol.rt.client.memberIdHex });
    expect(alice.rt.current().problem).toBe('');
    await eventually('alice sees two members', () => alice.rt.current().chatViews[groupId]?.memberCount === 2);
    await eventually('carol sees the group as left', () => carol.rt.current().chats.find((c) => c.chatId === groupId)?.left);
    expect(carol.rt.current().chatViews[groupId]?.left).toBe(true);

    await alice.rt.perform({ type: 'send-text', chatId: groupId, text: '踢人之后的秘密', replyTo: null, mentions: [], mentionAll: false });
    await eventually('bob reads the message after the kick', () => texts(bob.rt.current(), groupId).includes('踢人之后的秘密'));
    // The message is in an epoch carol never entered (a fresh secret boxed to alice and bob only) ...
    expect(alice.rt.client.group(groupId)!.epoch).toBeGreaterThan(epochBefore);
    expect(carol.rt.client.group(groupId)!.status).toBe('removed');
    // ... the relay no longer serves carol the group ...
    await expect(carol.rt.client.relay.api.fetchMessages(carol.sdk.hexToBytes(groupId), 0, 50)).rejects.toMatchObject({ code: expect.stringMatching(/^E2E_ERR_RELAY_/) });
    // ... and nothing carol holds shows it, however long we wait.
    await new Promise((r) => setTimeout(r, 300));
    await carol.rt.refresh();
    expect(texts(carol.rt.current(), groupId)).not.toContain('踢人之后的秘密');
    expect(carol.rt.client.history.page(groupId, { limit: 200 }).messages.map((m) => m.text)).not.toContain('踢人之后的秘密');
    // Even keeping everything it stored, the kicked member holds no key for that message:
    // open carol's store files (after her client closed) and try her receiving state on it.
    const page = await bob.rt.client.relay.api.fetchMessages(bob.sdk.hexToBytes(groupId), 0, 100);
    const last = page.items.reduce((a, b) => (b.seq > a.seq ? b : a));
    const ciphertext = new Uint8Array(last.ciphertext);
    await carol.rt.close();
    const store = await openFsmStore(createNodeBackedFsm(), join(carol.sandbox.userDataDir, 'carol'));
    const p = createPrimitives(nobleBackend, nodeRandom);
    const header = decodeGroupMessageHeader(ciphertext);
    // Her group state: removed, no epoch secret, and an epoch before the message's.
    const memberRecord = decodeMemberRecord(p, (await store.get(groupKey(groupId, 'member')))!);
    expect(memberRecord.status).toBe('removed');
    expect(memberRecord.state.removed).toBe(true);
    expect(memberRecord.state.epochSecret).toBeNull();
    expect(header.epoch).toBeGreaterThan(epochBefore);
    // Her receiving chains were deleted with the removal; a chain state kept from before
    // the kick (here: one rebuilt from the record as it was) has no chain for the new epoch.
    const receiver = decodeReceiverRecord((await store.get(groupKey(groupId, 'recv')))!);
    expect(receiver.state).toBeNull();
    expect(keptReceiver).not.toBeNull();
    expect(keptReceiver!.epochs.every((e) => e.epoch < header.epoch)).toBe(true);
    expect(() => decryptGroupMessage(p, keptReceiver!, ciphertext)).toThrow(expect.objectContaining({ code: 'E2E_ERR_UNKNOWN_EPOCH' }));
    await store.close();
    // Pages never got bytes, keys or BigInt: every published view model was plain data.
    for (const vm of [...alice.views, ...bob.views, ...carol.views]) expect(JSON.parse(JSON.stringify(vm))).toEqual(vm);
  });
});
