// Pages rendered by miniprogram-simulate (official template compiler) against SDK state from
// real clients and a real relay: each member runs the mini program's runtime
// (bridge/runtime.ts: ChatClient + messaging -> view model) on the Node platform, and owns
// a compiled copy of the mini program whose store that runtime publishes into and whose
// intents it performs. Tests type and tap on one member's page and read another's.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { nodePlatform } from '../../client/src/net/node-platform';
import { createMemoryStore } from '../../client/src/store/memory-store';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import { startAppRuntime, type AppRuntime } from '../bridge/runtime';
import type { Intent } from '../lib/intents';
import type * as StoreModule from '../lib/store';
import type { AppViewModel } from '../lib/view-model';
import { compileProjectCopy, loadSimulate, requireFromCopy, tick } from './page-harness';

type Simulate = ReturnType<typeof loadSimulate>;
interface Node {
  dom: HTMLElement;
  data: Record<string, unknown>;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): Node[];
  dispatchEvent(name: string, detail?: Record<string, unknown>): void;
  attach(parent: HTMLElement): void;
  detach(): void;
}

interface Phone {
  name: string;
  rt: AppRuntime;
  copy: ReturnType<typeof compileProjectCopy>;
  store: typeof StoreModule;
  id: string;
  /** Renders one of this member's pages. */
  mount(page: string, properties?: Record<string, string>): Promise<Node>;
}

let relay: TestRelay;
let sim: Simulate;
const phones: Phone[] = [];
const mounted: Node[] = [];

async function phone(name: string): Promise<Phone> {
  const copy = compileProjectCopy();
  const store = requireFromCopy<typeof StoreModule>(copy.root, 'lib/store');
  const rt = await startAppRuntime({
    platform: nodePlatform(),
    primitives: createPrimitives(nobleBackend, nodeRandom),
    store: createMemoryStore(),
    relayUrl: relay.httpUrl,
    files: { read: async () => new Uint8Array(0), write: async (n) => `wxfile://usr/${n}` },
    publish: (vm) => store.setViewModel(vm),
    engine: { autoCommitJitterMs: 20, sendWaitMs: 10_000 },
  });
  store.onIntent((intent: Intent) => void rt.perform(intent));
  const p: Phone = {
    name,
    rt,
    copy,
    store,
    id: rt.client.memberIdHex,
    async mount(page, properties = {}) {
      const id = sim.load(join(copy.root, 'pages', page, 'index'), { rootPath: copy.root });
      const comp = sim.render(id, properties) as unknown as Node;
      comp.attach(document.createElement('parent-wrapper'));
      mounted.push(comp);
      await tick();
      return comp;
    },
  };
  phones.push(p);
  return p;
}

async function eventually<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await tick(25);
  }
}

const texts = (node: Node, selector: string) => node.querySelectorAll(selector).map((n) => (n.dom.textContent ?? '').trim());

function wxApi(): Record<string, (...args: never[]) => unknown> {
  return (globalThis as unknown as { wx: Record<string, (...args: never[]) => unknown> }).wx;
}

/** A group of `members` created by the first, everyone joined and shown. */
async function groupOf(name: string, owner: Phone, others: Phone[]): Promise<string> {
  const before = new Set(owner.rt.current().chats.map((c) => c.chatId));
  await owner.rt.perform({ type: 'create-group', name, kind: 'normal', joinPolicy: 'invite-only' });
  const chatId = await eventually(`${name} created`, () => owner.rt.current().chats.find((c) => !before.has(c.chatId))?.chatId);
  for (const o of others) await owner.rt.client.invite(chatId, o.id);
  for (const o of [owner, ...others]) await eventually(`${o.name} in ${name}`, () => o.rt.current().chatViews[chatId]?.memberCount === others.length + 1);
  return chatId;
}

let alice: Phone;
let bob: Phone;
let carol: Phone;
let chatId = '';

beforeAll(async () => {
  relay = await startTestRelay();
  sim = loadSimulate();
  alice = await phone('alice');
  bob = await phone('bob');
  carol = await phone('carol');
  chatId = await groupOf('律所客户群', alice, [bob, carol]);
});
afterAll(async () => {
  for (const m of mounted) m.detach();
  await Promise.allSettled(phones.map((p) => p.rt.close()));
  for (const p of phones) p.copy.dispose();
  await relay.cleanup();
});

describe('pages on real clients and a real relay', () => {
  it('a message typed and sent on one member\'s chat page shows on the other member\'s chat page', async () => {
    const mine = await alice.mount('chat', { chatId });
    const theirs = await bob.mount('chat', { chatId });
    mine.querySelector('.input')!.dispatchEvent('input', { detail: { value: '下午三点开会 👍' } });
    await tick();
    mine.querySelector('.send')!.dispatchEvent('tap');
    await eventually('bob\'s page shows it', () => texts(theirs, '.bubble-row .text').includes('下午三点开会 👍'));
    const row = theirs.querySelectorAll('.bubble-row').find((r) => (r.dom.textContent ?? '').includes('下午三点开会'))!;
    expect(row.dom.className).toContain('left');
    expect(row.dom.querySelector('.main--sender')?.textContent).toBe(`成员${alice.id.slice(0, 6)}`);
    await eventually('alice\'s own bubble, on the right', () =>
      mine.querySelectorAll('.bubble-row.right').some((r) => (r.dom.textContent ?? '').includes('下午三点开会 👍')),
    );
    expect(texts(theirs, '.title')[0]).toBe('律所客户群(3)');
  });

  it('a phone number typed in the input shows masked on both sides (masked before it left the phone)', async () => {
    const mine = await alice.mount('chat', { chatId });
    const theirs = await bob.mount('chat', { chatId });
    mine.querySelector('.input')!.dispatchEvent('input', { detail: { value: '我的电话13812345678，有事打我' } });
    await tick();
    mine.querySelector('.send')!.dispatchEvent('tap');
    const masked = '我的电话138****5678，有事打我';
    await eventually('bob sees it masked', () => texts(theirs, '.bubble-row .text').includes(masked));
    await eventually('alice sees it masked too', () => texts(mine, '.bubble-row .text').includes(masked));
    for (const page of [mine, theirs]) expect(texts(page, '.bubble-row .text').join('\n')).not.toContain('13812345678');
  });

  it('kicking removes the member from the grid, and the kicked member\'s page shows the group as left', async () => {
    const grid = await alice.mount('group-info', { chatId });
    const carolList = await carol.mount('chat-list');
    const carolName = `成员${carol.id.slice(0, 6)}`;
    expect(texts(grid, '.grid-name')).toContain(carolName);
    expect(texts(carolList, '.chat-row .preview').join('')).not.toContain('你已不在群聊中');

    const memberPage = await alice.mount('member', { chatId, memberId: carol.id });
    await eventually('member page rendered with actions', () => texts(memberPage, '.action').includes('移出群聊'));
    vi.spyOn(wxApi(), 'showModal').mockImplementation(((opts: { success: (r: { confirm: boolean }) => void }) => opts.success({ confirm: true })) as never);
    memberPage.querySelector('.action.danger')!.dispatchEvent('tap');

    await eventually('carol gone from alice\'s grid', () => texts(grid, '.grid-name').length === 2 && !texts(grid, '.grid-name').includes(carolName));
    expect(texts(grid, '.grid-name')).toContain(`成员${bob.id.slice(0, 6)}`);
    await eventually('carol\'s list shows the group as left', () => texts(carolList, '.chat-row .preview').join('').includes('你已不在群聊中'));
    const carolChat = await carol.mount('chat', { chatId });
    expect(carolChat.querySelector('.input')).toBeFalsy();
    expect(texts(carolChat, '.composer.blocked')).toEqual(['你已不在此群聊中']);
    vi.restoreAllMocks();
  });

  it('pinned chats sort first on the chat list', async () => {
    const second = await groupOf('读书会', alice, [bob]);
    await alice.rt.perform({ type: 'send-text', chatId: second, text: '新书到了', replyTo: null, mentions: [], mentionAll: false });
    const list = await alice.mount('chat-list');
    await eventually('newest first', () => texts(list, '.chat-row .name').join('|') === '读书会|律所客户群');
    vi.spyOn(wxApi(), 'showActionSheet').mockImplementation(((opts: { itemList: string[]; success: (r: { tapIndex: number }) => void }) => {
      expect(opts.itemList[0]).toBe('置顶聊天');
      opts.success({ tapIndex: 0 });
    }) as never);
    list.querySelectorAll('.chat-row')[1]!.dispatchEvent('longpress'); // 律所客户群: pin it
    await eventually('pinned first', () => texts(list, '.chat-row .name').join('|') === '律所客户群|读书会');
    expect(list.querySelectorAll('.chat-row')[0]!.dom.className).toContain('pinned');
    vi.restoreAllMocks();
  });

  it('approval policy: a join request from a share-card link shows on the owner\'s group info; approving it brings the joiner in', async () => {
    const before = new Set(alice.rt.current().chats.map((c) => c.chatId));
    await alice.rt.perform({ type: 'create-group', name: '病友互助群', kind: 'private', joinPolicy: 'admin-approval' });
    const approvalGroup = await eventually('created', () => alice.rt.current().chats.find((c) => !before.has(c.chatId))?.chatId);
    const info = await alice.mount('group-info', { chatId: approvalGroup });
    await alice.rt.perform({ type: 'invite', chatId: approvalGroup });
    const link = alice.rt.current().groupInfos[approvalGroup]!.inviteId;
    expect(link).not.toBe('');
    expect(link).not.toContain('病友'); // the card carries no name or content
    const dave = await phone('dave');
    await dave.rt.perform({ type: 'join-by-invite', inviteId: link });
    expect(dave.rt.current().problem).toBe('');
    await eventually('the request shows', () => texts(info, '.join-name').length === 1);
    info.querySelector('.join-approve')!.dispatchEvent('tap');
    await eventually('dave is in', () => dave.rt.current().chatViews[approvalGroup]?.memberCount === 2);
    await eventually('the request is gone', () => texts(info, '.join-name').length === 0);
    expect(texts(info, '.grid-name')).toContain(`成员${dave.id.slice(0, 6)}`);
  });

  it('every view model the runtime published was plain data (no keys, bytes or BigInt reached setData)', () => {
    for (const p of phones) {
      const vm: AppViewModel = p.store.getViewModel();
      expect(JSON.parse(JSON.stringify(vm))).toEqual(vm);
      expect(vm.ready).toBe(true);
    }
  });
});
