import { describe, expect, it } from 'vitest';
import { ChatApp, describeError, type BackendEvent, type ChatBackend, type ChatLine, type MemberSummary } from './app';
import { COMMANDS, helpText, intArg, MAX_INPUT_CHARS, parseInput } from './commands';

describe('terminal chat input', () => {
  it('sends plain lines and "//" lines as text, and ignores blank ones', () => {
    expect(parseInput('大家好 👋')).toEqual({ kind: 'text', text: '大家好 👋' });
    expect(parseInput('//etc/hosts is a path\n')).toEqual({ kind: 'text', text: '/etc/hosts is a path' });
    expect(parseInput('   ')).toEqual({ kind: 'empty' });
  });

  it('parses commands, aliases and rest-of-line arguments', () => {
    expect(parseInput('/create 三年级二班 家长群')).toEqual({ kind: 'command', name: 'create', args: ['三年级二班 家长群'], bang: false });
    expect(parseInput('/create! 律所 内部')).toEqual({ kind: 'command', name: 'create', args: ['律所 内部'], bang: true });
    expect(parseInput('/S 2')).toEqual({ kind: 'command', name: 'switch', args: ['2'], bang: false });
    expect(parseInput('/link 2 5')).toEqual({ kind: 'command', name: 'link', args: ['2', '5'], bang: false });
    expect(parseInput('/search 医院 复查')).toEqual({ kind: 'command', name: 'search', args: ['医院 复查'], bang: false });
  });

  it('refuses unknown commands, wrong argument counts and over-long input with a usage line', () => {
    expect(parseInput('/frobnicate')).toEqual({ kind: 'error', message: 'unknown command /frobnicate; /help lists them' });
    expect(parseInput('/invite')).toEqual({ kind: 'error', message: 'usage: /invite <member ID>' });
    expect(parseInput('/invite a b')).toEqual({ kind: 'error', message: 'usage: /invite <member ID>' });
    expect(parseInput('/search')).toMatchObject({ kind: 'error' });
    expect(parseInput('字'.repeat(MAX_INPUT_CHARS + 1))).toMatchObject({ kind: 'error' });
    expect(parseInput('字'.repeat(MAX_INPUT_CHARS))).toMatchObject({ kind: 'text' });
  });

  it('lists every command in /help', () => {
    const help = helpText();
    for (const c of COMMANDS) expect(help).toContain(`/${c.name}`);
  });

  it('accepts only positive integers in range for numeric arguments', () => {
    expect(intArg(undefined, 24, 720)).toBe(24);
    expect(intArg('5', 24, 720)).toBe(5);
    for (const bad of ['0', '-1', '1.5', '721', 'x', '1e3']) expect(intArg(bad, 24, 720)).toBeNull();
  });
});

const ALICE = 'a1'.repeat(32);
const BOB = 'b0'.repeat(32);
const BOB2 = 'b0b0' + 'c1'.repeat(30);

/** A backend that records calls and keeps groups in memory: the app's logic is under test, not the SDK. */
function recordingBackend() {
  const calls: string[] = [];
  let handler: (e: BackendEvent) => void = () => undefined;
  const members: MemberSummary[] = [
    { id: ALICE, role: 'owner' },
    { id: BOB, role: 'member' },
    { id: BOB2, role: 'member' },
  ];
  const groups: { id: string; name: string; unread: number; members: number }[] = [];
  const backend: ChatBackend = {
    selfId: ALICE,
    listGroups: async () => groups,
    createGroup: async (name, isPrivate) => {
      calls.push(`create ${name} ${isPrivate}`);
      const id = `${String(groups.length + 1).padStart(2, '0')}`.repeat(16);
      groups.push({ id, name, unread: 0, members: 1 });
      return id;
    },
    invite: async (g, m) => void calls.push(`invite ${g.slice(0, 4)} ${m.slice(0, 4)}`),
    createInviteLink: async (g, h, u) => `wxe2ee://join/${g.slice(0, 4)}?h=${h}&u=${u}`,
    join: async () => ({}),
    members: async () => members,
    kick: async (g, m) => void calls.push(`kick ${m}`),
    leave: async (g) => void calls.push(`leave ${g.slice(0, 4)}`),
    safetyNumber: async () => '12345 67890',
    search: async () => [],
    history: async () => [],
    sendText: async (_g, text) => ({ text: text.replace(/1\d{10}/, (m) => `${m.slice(0, 3)}****${m.slice(7)}`) }),
    markRead: async () => undefined,
    onEvent: (h) => {
      handler = h;
    },
    close: async () => undefined,
  };
  return { backend, calls, emit: (e: BackendEvent) => handler(e) };
}

describe('terminal chat app', () => {
  it('needs a current group for text, then sends to it and says when it masked something', async () => {
    const { backend } = recordingBackend();
    const out: string[] = [];
    const app = new ChatApp(backend, (l) => out.push(l), 'alice');
    await app.handle('hello');
    expect(out.pop()).toMatch(/^\? no current group/);
    await app.handle('/create 病友群');
    expect(out.pop()).toBe('* created group "病友群" (01010101); it is now the current group');
    await app.handle('我的电话13812345678');
    expect(out.slice(-2)[0]).toMatch(/\[病友群\] alice \(you\): 我的电话138\*\*\*\*5678$/);
    expect(out.pop()).toContain('masked');
  });

  it('resolves members by ID prefix and refuses short or ambiguous ones', async () => {
    const { backend, calls } = recordingBackend();
    const out: string[] = [];
    const app = new ChatApp(backend, (l) => out.push(l), 'alice');
    await app.handle('/create g');
    await app.handle('/kick b0');
    expect(out.pop()).toBe('? give at least 4 characters of the member ID');
    await app.handle('/kick b0b0');
    expect(out.pop()).toBe('? b0b0 matches 2 members; give more characters');
    await app.handle('/kick b0b0b0');
    expect(calls).toContain(`kick ${BOB}`);
    await app.handle('/invite xyz');
    expect(out.pop()).toMatch(/64 hex characters/);
  });

  it('prints incoming messages with group and sender, but not its own echoes', () => {
    const { backend, emit } = recordingBackend();
    const out: string[] = [];
    new ChatApp(backend, (l) => out.push(l), 'alice');
    emit({ kind: 'joined', groupId: '07'.repeat(16), name: '家长群' });
    const line: ChatLine = { groupId: '07'.repeat(16), messageId: 'm', sender: BOB, type: 'text', text: '明天开会', timestamp: 0, mention: true };
    emit({ kind: 'message', line });
    emit({ kind: 'message', line: { ...line, sender: ALICE } });
    expect(out[0]).toBe('* you are now a member of "家长群" (07070707)');
    expect(out[1]).toMatch(/\[家长群\] b0b0b0b0: 明天开会  \(@ you\)$/);
    expect(out).toHaveLength(2);
  });

  it('turns SDK errors into one line with their code', () => {
    expect(describeError(Object.assign(new Error('not allowed'), { code: 'E2E_ERR_RELAY_FORBIDDEN' }))).toBe('E2E_ERR_RELAY_FORBIDDEN: not allowed');
    expect(describeError('plain')).toBe('plain');
  });
});
