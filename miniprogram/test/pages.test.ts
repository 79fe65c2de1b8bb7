// Pages rendered by miniprogram-simulate with the official template compiler, from
// view models as the SDK will fill them: render, tap, type, assert what is rendered
// and which intent the page emitted.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Intent } from '../lib/intents';
import type * as StoreModule from '../lib/store';
import type { AppViewModel } from '../lib/view-model';
import { chatSummary, chatView, groupInfo, MEMBERS, memberDetail, NOW, viewModel } from './fixtures';
import { compileProjectCopy, loadSimulate, requireFromCopy, tick } from './page-harness';

type Simulate = ReturnType<typeof loadSimulate>;
// j-component's component wrapper, as far as these tests use it.
interface Node {
  dom: HTMLElement;
  data: Record<string, unknown>;
  instance: Record<string, (...args: unknown[]) => unknown>;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): Node[];
  dispatchEvent(name: string, detail?: Record<string, unknown>): void;
  attach(parent: HTMLElement): void;
  detach(): void;
}

const [OWNER, ADMIN, ZHANG, LI] = MEMBERS as [(typeof MEMBERS)[0], (typeof MEMBERS)[0], (typeof MEMBERS)[0], (typeof MEMBERS)[0]];

let copy: ReturnType<typeof compileProjectCopy>;
let sim: Simulate;
let store: typeof StoreModule;
let mounted: Node[] = [];

beforeAll(() => {
  copy = compileProjectCopy();
  sim = loadSimulate();
  store = requireFromCopy<typeof StoreModule>(copy.root, 'lib/store');
});
afterAll(() => copy.dispose());
beforeEach(() => store.resetStore());
afterEach(() => {
  for (const c of mounted) c.detach();
  mounted = [];
  vi.restoreAllMocks();
});

function wxApi(): Record<string, (...args: never[]) => unknown> {
  return (globalThis as unknown as { wx: Record<string, (...args: never[]) => unknown> }).wx;
}

async function mount(page: string, properties: Record<string, string> = {}): Promise<Node> {
  const id = sim.load(join(copy.root, 'pages', page, 'index'), { rootPath: copy.root });
  const comp = sim.render(id, properties) as unknown as Node;
  comp.attach(document.createElement('parent-wrapper'));
  mounted.push(comp);
  await tick();
  return comp;
}

function recordIntents(): Intent[] {
  const got: Intent[] = [];
  store.onIntent((i) => got.push(i));
  return got;
}

function texts(comp: Node, selector: string): string[] {
  return comp.querySelectorAll(selector).map((n) => (n.dom.textContent ?? '').trim());
}

/** The element under a wrapper node with a template class (simulate prefixes classes with the tag name). */
function find(node: Node, cls: string): HTMLElement | null {
  return node.dom.querySelector(`.main--${cls}`);
}

function setModel(over: Partial<AppViewModel>): void {
  store.setViewModel(viewModel(over));
}

describe('chat list page', () => {
  const chats = [
    chatSummary({ chatId: 'a', name: '读书会', lastAt: NOW - 1000, unread: 3, lastPreview: '张三: 明天见' }),
    chatSummary({ chatId: 'b', name: '律所客户群', lastAt: NOW - 5 * 86_400_000, unread: 120, muted: true, pinned: true }),
    chatSummary({ chatId: 'c', name: '三年二班家长群', lastAt: NOW - 86_400_000, unread: 1, mentioned: true, pinned: true }),
    chatSummary({ chatId: 'd', name: '已解散的群', lastAt: NOW - 2000, left: true, lastPreview: '群主解散了群聊' }),
    chatSummary({ chatId: 'e', name: '医院随访', lastAt: NOW - 3000, unread: 250 }),
  ];

  it('sorts pinned chats first, then by recency, and renders badges, dots, @ notices and muted markers', async () => {
    setModel({ chats });
    const page = await mount('chat-list');
    expect(texts(page, '.chat-row .name')).toEqual(['三年二班家长群', '律所客户群', '读书会', '已解散的群', '医院随访']);
    const rows = page.querySelectorAll('.chat-row');
    expect(rows.map((r) => r.dom.className.includes('pinned'))).toEqual([true, true, false, false, false]);
    expect(texts(page, '.badge')).toEqual(['1', '3', '99+']);
    expect(find(rows[1]!, 'badge')).toBeFalsy(); // muted: a dot, not a number
    expect(find(rows[1]!, 'dot')).toBeTruthy();
    expect(texts(page, '.muted-marker')).toEqual(['免打扰']);
    expect(find(rows[1]!, 'muted-marker')).toBeTruthy();
    expect(find(rows[0]!, 'mention')?.textContent).toBe('[有人@我]');
    expect(find(rows[2]!, 'mention')).toBeFalsy();
    expect(find(rows[3]!, 'preview')?.textContent).toBe('群主解散了群聊 · 你已不在群聊中');
    expect(page.querySelector('.empty')).toBeFalsy();
  });

  it('re-renders when the SDK publishes a new view model (unpinning moves a chat down)', async () => {
    setModel({ chats });
    const page = await mount('chat-list');
    setModel({ chats: chats.map((c) => (c.chatId === 'c' ? { ...c, pinned: false } : c)) });
    await tick();
    expect(texts(page, '.chat-row .name')).toEqual(['律所客户群', '读书会', '已解散的群', '医院随访', '三年二班家长群']);
  });

  it('shows the empty state, and a launch problem when the SDK reports one', async () => {
    setModel({ chats: [], problem: '无法获取安全随机数，请升级微信（基础库 2.15.0 及以上）' });
    const page = await mount('chat-list');
    expect(page.querySelector('.empty')?.dom.textContent).toContain('还没有群聊');
    expect(page.querySelector('.problem')?.dom.textContent).toContain('基础库 2.15.0');
  });

  it('opens a chat on tap and pins / mutes from the long-press menu', async () => {
    setModel({ chats });
    const page = await mount('chat-list');
    const navigate = vi.spyOn(wxApi(), 'navigateTo');
    const sheet = vi.spyOn(wxApi(), 'showActionSheet').mockImplementation(((opts: { itemList: string[]; success: (r: { tapIndex: number }) => void }) => {
      expect(opts.itemList).toEqual(['置顶聊天', '开启新消息提醒']);
      opts.success({ tapIndex: 1 });
    }) as never);
    const intents = recordIntents();
    const rows = page.querySelectorAll('.chat-row');
    rows[0]!.dispatchEvent('tap');
    await tick();
    expect(navigate).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/chat/index?chatId=c' }));
    setModel({ chats: [chatSummary({ chatId: 'q', name: '律所', muted: true })] });
    await tick();
    page.querySelectorAll('.chat-row')[0]!.dispatchEvent('longpress');
    await tick();
    expect(sheet).toHaveBeenCalledTimes(1);
    expect(intents).toEqual([{ type: 'mute', chatId: 'q', muted: false }]);
  });

  it('shows an in-app alert for a new message or @mention, but not for a muted chat', async () => {
    setModel({ chats, alert: { chatId: 'c', text: '三年二班家长群：有人@我', mention: true, at: NOW } });
    const page = await mount('chat-list');
    expect(page.querySelector('.alert')?.dom.textContent).toBe('三年二班家长群：有人@我');
    setModel({ chats, alert: { chatId: 'b', text: '律所客户群：1 条新消息', mention: false, at: NOW } });
    await tick();
    expect(page.querySelector('.alert')).toBeFalsy();
  });
});

describe('chat page', () => {
  function model(me = OWNER, over: Parameters<typeof chatView>[1] = {}) {
    const view = chatView(me, over);
    return viewModel({ chats: [chatSummary({ chatId: view.chatId })], chatViews: { [view.chatId]: view } });
  }

  it('renders bubbles left and right with nicknames, time separators, notices, media, polls, replies and mentions', async () => {
    store.setViewModel(model());
    const page = await mount('chat', { chatId: 'g-parents' });
    const bubbles = page.querySelectorAll('.bubble-row');
    expect(bubbles.map((b) => (b.dom.className.includes('right') ? 'right' : 'left'))).toEqual(['left', 'right', 'left', 'left', 'left', 'left', 'left']);
    expect(texts(page, '.sender')).toEqual(['张三', '张三', '张三', '张三', '张三', '张三']); // none on my own bubble
    expect(texts(page, '.bubble-row .text')).toEqual(['大家好 😀', '收到', '@王老师 请看一下']);
    expect(texts(page, '.time-separator')).toHaveLength(2); // 60 min ago, then a gap of 50 min
    expect(texts(page, '.notice')).toEqual(['"李四" 被移出群聊', '"李律师" 撤回了一条消息']);
    expect(texts(page, '.media')).toEqual(['[文件] 合同.pdf (200.0 KB)']);
    expect(texts(page, '.poll-option')).toEqual(['可以 · 2票', '不行 · 1票']);
    expect(texts(page, '.quote')).toEqual(['张三: 大家好 😀']);
    expect(page.querySelectorAll('.mentions-me')).toHaveLength(1);
    const image = find(bubbles[5]!, 'image');
    // j-component keeps no attributes on built-in tags: the path is checked in the rendered data.
    expect(image).toBeTruthy();
    expect((page.data.rows as { messageId: string; imagePath: string }[]).find((r) => r.messageId === 'x8')?.imagePath).toBe('wxfile://tmp/photo.jpg');
    expect(find(bubbles[5]!, 'media')).toBeFalsy();
    expect(texts(page, '.poll-question')).toEqual(['周六开会？', '几点集合？']);
    expect(texts(page, '.qa-answer')).toEqual(['李律师：八点']);
  });

  it('typing and tapping send emits the send intent with the text, then clears the input', async () => {
    store.setViewModel(model(ZHANG));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '明天 8 点到 😀' } });
    await tick();
    expect(page.data.inputText).toBe('明天 8 点到 😀');
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents.filter((i) => i.type === 'send-text')).toEqual([
      { type: 'send-text', chatId: 'g-parents', text: '明天 8 点到 😀', replyTo: null, mentions: [], mentionAll: false },
    ]);
    expect(page.data.inputText).toBe('');
    // Blank input sends nothing.
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '   ' } });
    await tick();
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents.filter((i) => i.type === 'send-text')).toHaveLength(1);
  });

  it('the emoji panel appends emoji to the input; they are sent as text', async () => {
    store.setViewModel(model(ZHANG));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    expect(page.querySelector('.emoji-panel')).toBeFalsy();
    page.querySelector('.emoji-toggle')!.dispatchEvent('tap');
    await tick();
    const emoji = page.querySelectorAll('.emoji');
    expect(emoji.length).toBeGreaterThan(20);
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '好' } });
    await tick();
    emoji[12]!.dispatchEvent('tap'); // 👍
    await tick();
    emoji[22]!.dispatchEvent('tap'); // 🎉
    await tick();
    expect(page.data.inputText).toBe('好👍🎉');
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents.filter((i) => i.type === 'send-text')).toEqual([
      { type: 'send-text', chatId: 'g-parents', text: '好👍🎉', replyTo: null, mentions: [], mentionAll: false },
    ]);
    expect(page.querySelector('.emoji-panel')).toBeFalsy();
  });

  it('the @ picker offers @所有人 to admins only, and the pick travels with the send intent', async () => {
    store.setViewModel(model(ADMIN));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '请 @' } });
    await tick();
    expect(texts(page, '.picker-item')).toEqual(['@所有人', '@王老师', '@张三', '@李四']);
    page.querySelectorAll('.picker-item')[0]!.dispatchEvent('tap');
    await tick();
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: `${page.data.inputText}@张` } });
    await tick();
    expect(texts(page, '.picker-item')).toEqual(['@张三']);
    page.querySelectorAll('.picker-item')[0]!.dispatchEvent('tap');
    await tick();
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents.filter((i) => i.type === 'send-text')).toEqual([
      { type: 'send-text', chatId: 'g-parents', text: '请 @所有人 @张三', replyTo: null, mentions: ['m-zhang'], mentionAll: true },
    ]);

    store.setViewModel(model(ZHANG));
    await tick();
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '@' } });
    await tick();
    expect(texts(page, '.picker-item')).toEqual(['@王老师', '@李律师', '@李四']);
  });

  it('long-press offers copy / reply / recall on my sent message; reply travels with the send', async () => {
    store.setViewModel(model(ZHANG));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    let items: string[] = [];
    let choose = 1;
    vi.spyOn(wxApi(), 'showActionSheet').mockImplementation(((opts: { itemList: string[]; success: (r: { tapIndex: number }) => void }) => {
      items = opts.itemList;
      opts.success({ tapIndex: choose });
    }) as never);
    const bubbles = page.querySelectorAll('.bubble-row');
    bubbles[0]!.dispatchEvent('longpress');
    await tick();
    expect(items).toEqual(['复制', '回复']);
    expect(page.querySelector('.reply-text')?.dom.textContent).toBe('回复 张三: 大家好 😀');
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '好的' } });
    await tick();
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents.filter((i) => i.type === 'send-text')[0]).toMatchObject({ text: '好的', replyTo: 'x1' });
    expect(page.querySelector('.reply-bar')).toBeFalsy();

    choose = 2;
    bubbles[1]!.dispatchEvent('longpress'); // my own message
    await tick();
    expect(items).toEqual(['复制', '回复', '撤回']);
    expect(intents.filter((i) => i.type === 'recall')).toEqual([{ type: 'recall', chatId: 'g-parents', messageId: 'x2' }]);
  });

  it('a muted member, or a member who left, cannot send', async () => {
    store.setViewModel(model(LI));
    const page = await mount('chat', { chatId: 'g-parents' });
    expect(page.querySelector('.input')).toBeFalsy();
    expect(page.querySelector('.composer.blocked')?.dom.textContent).toBe('你已被禁言');
    store.setViewModel(model(ZHANG, { left: true }));
    await tick();
    expect(page.querySelector('.composer.blocked')?.dom.textContent).toBe('你已不在此群聊中');
  });

  it('shows the new-message and @-mention notice, and votes on a poll', async () => {
    store.setViewModel(model(ZHANG, { newBelow: 4, mentionBelow: true }));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    expect(page.querySelector('.new-below')?.dom.textContent?.trim()).toBe('有人@我');
    store.setViewModel(model(ZHANG, { newBelow: 4, mentionBelow: false }));
    await tick();
    expect(page.querySelector('.new-below')?.dom.textContent?.trim()).toBe('4条新消息');
    page.querySelectorAll('.poll-option')[0]!.dispatchEvent('tap');
    await tick();
    expect(intents).toContainEqual({ type: 'vote', chatId: 'g-parents', messageId: 'x6', optionId: 'o1' });
  });
});

describe('chat page: polls, Q&A, voice, media and attachments', () => {
  type SheetOpts = { itemList: string[]; success: (r: { tapIndex: number }) => void };
  function model(me = ZHANG, over: Parameters<typeof chatView>[1] = {}) {
    const view = chatView(me, over);
    return viewModel({ chats: [chatSummary({ chatId: view.chatId })], chatViews: { [view.chatId]: view } });
  }
  function chooseFromSheet(item: string): void {
    vi.spyOn(wxApi(), 'showActionSheet').mockImplementation(((opts: SheetOpts) => {
      expect(opts.itemList).toEqual(['图片', '视频', '文件', '投票', '问答']);
      opts.success({ tapIndex: opts.itemList.indexOf(item) });
    }) as never);
  }

  it('creates a poll from the attach menu: refuses too few or repeated options, then emits a cleaned poll', async () => {
    store.setViewModel(model());
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    chooseFromSheet('投票');
    page.querySelector('.attach')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelector('.compose-title')?.dom.textContent).toBe('发起投票');
    page.querySelector('.compose-question')!.dispatchEvent('input', { detail: { value: ' 周六几点集合？ ' } });
    page.querySelectorAll('.compose-option')[0]!.dispatchEvent('input', { detail: { value: '八点' } });
    await tick();
    page.querySelector('.compose-submit')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelector('.compose-problem')?.dom.textContent).toBe('至少需要 2 个选项');
    page.querySelectorAll('.compose-option')[1]!.dispatchEvent('input', { detail: { value: '八点' } });
    await tick();
    page.querySelector('.compose-submit')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelector('.compose-problem')?.dom.textContent).toBe('选项不能重复');
    page.querySelector('.compose-add')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelectorAll('.compose-option')).toHaveLength(3);
    page.querySelectorAll('.compose-option')[1]!.dispatchEvent('input', { detail: { value: '九点' } });
    await tick();
    page.querySelector('.compose-submit')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([{ type: 'create-poll', chatId: 'g-parents', question: '周六几点集合？', options: ['八点', '九点'] }]);
    expect(page.querySelector('.compose-form')).toBeFalsy();
  });

  it('asks a question, and answers one through the composer', async () => {
    store.setViewModel(model());
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    chooseFromSheet('问答');
    page.querySelector('.attach')!.dispatchEvent('tap');
    await tick();
    page.querySelector('.compose-submit')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelector('.compose-problem')?.dom.textContent).toBe('请输入问题');
    page.querySelector('.compose-question')!.dispatchEvent('input', { detail: { value: '带什么材料？' } });
    await tick();
    page.querySelector('.compose-submit')!.dispatchEvent('tap');
    await tick();
    page.querySelector('.qa-reply')!.dispatchEvent('tap'); // the question x9: 几点集合？
    await tick();
    expect(page.querySelector('.answer-bar .reply-text')?.dom.textContent).toBe('回答 几点集合？');
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '七点半' } });
    await tick();
    page.querySelector('.send')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([
      { type: 'ask-question', chatId: 'g-parents', question: '带什么材料？' },
      { type: 'answer', chatId: 'g-parents', messageId: 'x9', text: '七点半' },
    ]);
    expect(intents.some((i) => i.type === 'send-text')).toBe(false);
    expect(page.querySelector('.answer-bar')).toBeFalsy();
  });

  it('tapping a file not yet downloaded asks the SDK to fetch it; once local, voice plays and files open', async () => {
    const voice = { localPath: '', name: '', sizeBytes: 9000, durationSec: 7 };
    const messages = [
      { ...chatView(ZHANG).messages[4]! }, // x5: 合同.pdf, not downloaded
      { ...chatView(ZHANG).messages[0]!, messageId: 'v1', kind: 'voice' as const, text: '', attachment: voice },
    ];
    store.setViewModel(model(ZHANG, { messages }));
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    expect(texts(page, '.media')).toEqual(['[文件] 合同.pdf (200.0 KB)', '[语音] 7″']);
    page.querySelectorAll('.media')[0]!.dispatchEvent('tap');
    page.querySelectorAll('.media')[1]!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([
      { type: 'open-attachment', chatId: 'g-parents', messageId: 'x5' },
      { type: 'open-attachment', chatId: 'g-parents', messageId: 'v1' },
    ]);

    const play = vi.fn();
    const audio = { src: '', play, stop: vi.fn(), destroy: vi.fn() };
    vi.spyOn(wxApi(), 'createInnerAudioContext').mockReturnValue(audio as never);
    const openDocument = vi.spyOn(wxApi(), 'openDocument').mockImplementation((() => undefined) as never);
    const local = messages.map((m, i) => ({ ...m, attachment: { ...m.attachment!, localPath: `wxfile://usr/files/${i}` } }));
    store.setViewModel(model(ZHANG, { messages: local }));
    await tick();
    page.querySelectorAll('.media')[0]!.dispatchEvent('tap');
    page.querySelectorAll('.media')[1]!.dispatchEvent('tap');
    await tick();
    expect(openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://usr/files/0' }));
    expect(audio.src).toBe('wxfile://usr/files/1');
    expect(play).toHaveBeenCalledTimes(1);
    expect(intents).toHaveLength(2); // nothing more asked of the SDK
  });

  it('a downloaded video renders as a video element', async () => {
    const video = { ...chatView(ZHANG).messages[0]!, messageId: 'v2', kind: 'video' as const, text: '', attachment: { localPath: 'wxfile://usr/v.mp4', name: '', sizeBytes: 1, durationSec: 3 } };
    store.setViewModel(model(ZHANG, { messages: [video] }));
    const page = await mount('chat', { chatId: 'g-parents' });
    expect(page.querySelectorAll('.video')).toHaveLength(1);
    expect(page.querySelector('.media')).toBeFalsy();
  });

  it('records a voice message on tap, and sends it with its duration when stopped', async () => {
    let onStop: ((r: { tempFilePath: string; duration: number }) => void) | undefined;
    const recorder = {
      start: vi.fn(),
      stop: vi.fn(() => onStop?.({ tempFilePath: 'wxfile://tmp/voice.aac', duration: 4200 })),
      onStop: (fn: typeof onStop) => (onStop = fn),
      onError: vi.fn(),
    };
    vi.spyOn(wxApi(), 'getRecorderManager').mockReturnValue(recorder as never);
    store.setViewModel(model());
    const page = await mount('chat', { chatId: 'g-parents' });
    const intents = recordIntents();
    page.querySelector('.voice')!.dispatchEvent('tap');
    await tick();
    expect(recorder.start).toHaveBeenCalledWith(expect.objectContaining({ duration: 60_000 }));
    expect(page.querySelector('.voice')?.dom.textContent).toBe('■');
    page.querySelector('.voice')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([{ type: 'send-media', chatId: 'g-parents', media: 'voice', localPath: 'wxfile://tmp/voice.aac', durationMs: 4200 }]);
    expect(page.querySelector('.voice')?.dom.textContent).toBe('🎤');
  });

  it('a member who may send sees no blocked bar', async () => {
    store.setViewModel(model());
    const page = await mount('chat', { chatId: 'g-parents' });
    expect(page.querySelector('.composer.blocked')).toBeFalsy();
    expect(page.querySelector('.input')).toBeTruthy();
  });
});

describe('subscription messages', () => {
  it('are requested only on a tap, with the configured content-free templates; the SDK hears which were accepted', async () => {
    const config = requireFromCopy<{ SUBSCRIBE_TEMPLATE_IDS: string[] }>(copy.root, 'lib/config');
    const toast = vi.spyOn(wxApi(), 'showToast').mockImplementation((() => undefined) as never);
    const request = vi.spyOn(wxApi(), 'requestSubscribeMessage').mockImplementation(((opts: { tmplIds: string[]; success: (r: Record<string, string>) => void }) =>
      opts.success({ [opts.tmplIds[0]!]: 'accept', [opts.tmplIds[1]!]: 'reject', errMsg: 'requestSubscribeMessage:ok' })) as never);
    const intents = recordIntents();
    const page = await mount('chat-list');
    expect(request).not.toHaveBeenCalled(); // never on load
    page.querySelector('.subscribe')!.dispatchEvent('tap');
    await tick();
    expect(request).not.toHaveBeenCalled(); // no templates configured: explained, not requested
    expect(toast).toHaveBeenCalledWith(expect.objectContaining({ title: '未配置离线提醒' }));
    config.SUBSCRIBE_TEMPLATE_IDS.push('tmpl-new-message', 'tmpl-other');
    try {
      page.querySelector('.subscribe')!.dispatchEvent('tap');
      await tick();
      expect(request).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['tmpl-new-message', 'tmpl-other'] }));
      expect(intents).toEqual([{ type: 'subscribe-notifications', templateIds: ['tmpl-new-message'] }]);
    } finally {
      config.SUBSCRIBE_TEMPLATE_IDS.length = 0;
    }
  });
});

describe('group info, member, search and create-group pages', () => {
  function model(me = OWNER, over: Parameters<typeof groupInfo>[1] = {}) {
    return viewModel({ groupInfos: { 'g-parents': groupInfo(me, over) } });
  }

  it('group info: avatar grid with + / - for admins, settings, and a share card carrying only the invite ID', async () => {
    store.setViewModel(model(OWNER));
    const page = await mount('group-info', { chatId: 'g-parents' });
    expect(texts(page, '.grid-name')).toEqual(['王老师', '李律师', '张三', '李四']);
    expect(texts(page, '.grid-role')).toEqual(['群主', '管理员']);
    expect(texts(page, '.avatar.add')).toEqual(['＋', '－']);
    const values = texts(page, '.cell-value');
    expect(values).toContain('私密群');
    expect(values).toContain('手机号、身份证号');
    expect(values).toContain('需管理员审批');
    expect(texts(page, '.action')).toEqual(['分享邀请卡片', '解散群聊']);
    expect(page.instance.onShareAppMessage!()).toEqual({ title: '邀请你加入加密群聊', path: '/pages/chat-list/index?invite=inv_7Yq2' });

    store.setViewModel(model(ZHANG));
    await tick();
    expect(texts(page, '.avatar.add')).toEqual([]); // members may not invite (policy: admins) nor remove
    expect(texts(page, '.action')).toEqual(['退出群聊']);
  });

  it('group info: toggles and leave emit intents; an owner is told to transfer ownership first', async () => {
    store.setViewModel(model(ZHANG));
    const page = await mount('group-info', { chatId: 'g-parents' });
    const intents = recordIntents();
    vi.spyOn(wxApi(), 'showModal').mockImplementation(((opts: { success: (r: { confirm: boolean }) => void }) => opts.success({ confirm: true })) as never);
    page.querySelectorAll('.switch-mute')[0]!.dispatchEvent('change', { detail: { value: true } });
    page.querySelector('.action.danger')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([
      { type: 'mute', chatId: 'g-parents', muted: true },
      { type: 'leave', chatId: 'g-parents' },
    ]);
  });

  it('group info: join requests are listed for admins with approve / deny, and never for members', async () => {
    const requests = [{ requestId: 7, name: '新家长' }, { requestId: 9, name: '成员ab12cd' }];
    store.setViewModel(model(ADMIN, { joinRequests: requests }));
    const page = await mount('group-info', { chatId: 'g-parents' });
    const intents = recordIntents();
    expect(texts(page, '.join-name')).toEqual(['新家长', '成员ab12cd']);
    page.querySelectorAll('.join-approve')[0]!.dispatchEvent('tap');
    page.querySelectorAll('.join-deny')[1]!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([
      { type: 'approve-join', chatId: 'g-parents', requestId: 7 },
      { type: 'deny-join', chatId: 'g-parents', requestId: 9 },
    ]);
    store.setViewModel(model(ZHANG, { joinRequests: requests }));
    await tick();
    expect(page.querySelector('.join-requests')).toBeFalsy();
  });

  it('member page: the owner can transfer ownership after confirming; an admin cannot', async () => {
    store.setViewModel(viewModel({ members: { 'g-parents/m-zhang': memberDetail(OWNER, ZHANG) } }));
    const page = await mount('member', { chatId: 'g-parents', memberId: 'm-zhang' });
    const intents = recordIntents();
    expect(texts(page, '.action')).toEqual(['设为管理员', '转让群主', '禁言', '移出群聊']);
    const modal = vi.spyOn(wxApi(), 'showModal').mockImplementation(((opts: { title: string; success: (r: { confirm: boolean }) => void }) => {
      expect(opts.title).toBe('转让群主');
      opts.success({ confirm: true });
    }) as never);
    page.querySelector('.action.transfer')!.dispatchEvent('tap');
    await tick();
    expect(modal).toHaveBeenCalledTimes(1);
    expect(intents).toEqual([{ type: 'transfer-ownership', chatId: 'g-parents', memberId: 'm-zhang' }]);
    store.setViewModel(viewModel({ members: { 'g-parents/m-zhang': memberDetail(ADMIN, ZHANG) } }));
    await tick();
    expect(page.querySelector('.action.transfer')).toBeFalsy();
  });

  it('member page: safety number and speaking record; an admin can mute and remove a member after confirming', async () => {
    store.setViewModel(viewModel({ members: { 'g-parents/m-zhang': memberDetail(ADMIN, ZHANG), 'g-parents/m-owner': memberDetail(ADMIN, OWNER) } }));
    const page = await mount('member', { chatId: 'g-parents', memberId: 'm-zhang' });
    const intents = recordIntents();
    expect(page.querySelector('.safety')?.dom.textContent).toBe('12345 67890 13579 24680 11223 34455');
    expect(texts(page, '.record-text')).toEqual(['@王老师 请看一下']);
    expect(texts(page, '.action')).toEqual(['禁言', '移出群聊']);
    const modal = vi.spyOn(wxApi(), 'showModal').mockImplementation(((opts: { content: string; success: (r: { confirm: boolean }) => void }) =>
      opts.success({ confirm: true })) as never);
    page.querySelector('.action.danger')!.dispatchEvent('tap');
    await tick();
    expect(modal).toHaveBeenCalledTimes(1);
    expect(intents).toEqual([{ type: 'kick', chatId: 'g-parents', memberId: 'm-zhang' }]);

    const owner = await mount('member', { chatId: 'g-parents', memberId: 'm-owner' });
    expect(texts(owner, '.action')).toEqual([]); // an admin cannot act on the owner
  });

  it('search page: emits the search intent and highlights hits in the results', async () => {
    const page = await mount('search');
    const intents = recordIntents();
    page.querySelector('.input')!.dispatchEvent('input', { detail: { value: '家长会' } });
    await tick();
    page.querySelector('.go')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([{ type: 'search', query: '家长会', chatId: null, senders: [], kinds: [], since: null }]);
    store.setViewModel(
      viewModel({
        search: {
          query: '家长会',
          searching: false,
          results: [
            { chatId: 'g-parents', chatName: '三年二班家长群', messageId: 'x9', senderName: '王老师', sentAt: NOW, parts: [{ text: '周六', hit: false }, { text: '家长会', hit: true }, { text: '别迟到', hit: false }] },
          ],
        },
      }),
    );
    await tick();
    expect(texts(page, '.chat-name')).toEqual(['三年二班家长群']);
    expect(texts(page, '.hit')).toEqual(['家长会']);
    expect(page.querySelector('.snippet')?.dom.textContent).toBe('王老师: 周六家长会别迟到');
  });

  it('search page: narrows by member (发言记录), type and date, with or without a keyword', async () => {
    store.setViewModel(viewModel({ chatViews: { 'g-parents': chatView(OWNER) } }));
    const page = await mount('search', { chatId: 'g-parents', memberId: 'm-zhang' });
    const intents = recordIntents();
    expect(page.data.memberLabels).toEqual(['全部成员', '王老师', '李律师', '张三', '李四']);
    expect(texts(page, '.member-picker')).toEqual(['张三']); // preselected from the member page
    page.querySelector('.go')!.dispatchEvent('tap');
    await tick();
    page.querySelector('.kind-picker')!.dispatchEvent('change', { detail: { value: '5' } });
    page.querySelector('.day-picker')!.dispatchEvent('change', { detail: { value: '2026-11-01' } });
    await tick();
    page.querySelector('.go')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([
      { type: 'search', query: '', chatId: 'g-parents', senders: ['m-zhang'], kinds: [], since: null },
      { type: 'search', query: '', chatId: 'g-parents', senders: ['m-zhang'], kinds: ['file'], since: new Date(2026, 10, 1).getTime() },
    ]);
    page.querySelector('.clear')!.dispatchEvent('tap');
    await tick();
    page.querySelector('.go')!.dispatchEvent('tap'); // nothing to search for: no intent
    await tick();
    expect(intents).toHaveLength(2);
    store.setViewModel(viewModel({ chatViews: { 'g-parents': chatView(OWNER) }, search: { query: '', searching: false, results: [] } }));
    await tick();
    expect(page.querySelector('.empty')?.dom.textContent).toBe('没有找到相关聊天记录');
  });

  it('chat list opened from a share card asks to join with the invite ID, once', async () => {
    const intents = recordIntents();
    const page = await mount('chat-list', { invite: 'inv_7Yq2' });
    await tick();
    expect(intents).toEqual([{ type: 'join-by-invite', inviteId: 'inv_7Yq2' }]);
    setModel({ chats: [] });
    await tick();
    expect(intents).toHaveLength(1);
    expect(page.data.joinedInvite).toBe('inv_7Yq2');
  });

  it('create-group page: requires a name, then emits one create intent', async () => {
    const page = await mount('create-group');
    const intents = recordIntents();
    page.querySelector('.create')!.dispatchEvent('tap');
    await tick();
    expect(page.querySelector('.error')?.dom.textContent).toBe('请输入群聊名称');
    page.querySelector('.cell-input')!.dispatchEvent('input', { detail: { value: '  病友互助群 ' } });
    page.querySelectorAll('.kind-picker')[0]!.dispatchEvent('change', { detail: { value: '1' } });
    await tick();
    page.querySelector('.create')!.dispatchEvent('tap');
    page.querySelector('.create')!.dispatchEvent('tap');
    await tick();
    expect(intents).toEqual([{ type: 'create-group', name: '病友互助群', kind: 'private', joinPolicy: 'invite-only' }]);
  });
});

describe('the view-model store', () => {
  it('refuses byte arrays, BigInt and class instances before they reach setData, naming the path only', () => {
    const good = viewModel();
    store.setViewModel(good);
    const withBytes = { ...good, myNickname: new Uint8Array([1, 2, 3]) } as unknown as AppViewModel;
    expect(() => store.setViewModel(withBytes)).toThrow(/"data\.myNickname" is not plain data/);
    const withBigInt = { ...good, chats: [{ ...chatSummary({ chatId: 'z' }), unread: 10n }] } as unknown as AppViewModel;
    expect(() => store.setViewModel(withBigInt)).toThrow(/"data\.chats\[0\]\.unread"/);
    expect(store.getViewModel()).toBe(good);
  });
});
