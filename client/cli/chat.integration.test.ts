// The terminal chat as a person uses it: three `chat.ts` processes with piped stdin talk
// through a real relay (temp SQLite, loopback). Covers create, invite by member ID, invite
// link + join, live messages, PII masking, /members, /safety (both sides agree), /search,
// /groups, /kick (the kicked client stops receiving) and /quit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'chat-cli-'));
let relay: TestRelay;
const procs: Chat[] = [];

class Chat {
  readonly lines: string[] = [];
  private buffered = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;
  id = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.on('data', (d: Buffer) => {
      this.buffered += d.toString('utf8');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    });
    this.exited = new Promise((r) => child.on('exit', (code) => r(code)));
  }

  static start(name: string): Chat {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/chat.ts', '--name', name, '--relay', relay.httpUrl, '--data', join(dir, name)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const c = new Chat(name, child);
    procs.push(c);
    return c;
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** The first line (from `from` on) matching `re`. */
  async waitFor(re: RegExp, timeoutMs = 30_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; got:\n${this.lines.join('\n')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends a command and waits for a reply line matching `re` printed after it. */
  async ask(line: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
    const from = this.lines.length;
    this.send(line);
    return this.waitFor(re, timeoutMs, from);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

beforeAll(async () => {
  relay = await startTestRelay({}, join(dir, 'relay'));
});

afterAll(async () => {
  for (const p of procs) p.kill();
  await relay?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('terminal chat (npm run chat)', () => {
  it('three people chat through a real relay with piped input', async () => {
    const [alice, bob, carol] = [Chat.start('alice'), Chat.start('bob'), Chat.start('carol')];
    for (const c of [alice, bob, carol]) c.id = /member ID ([0-9a-f]{64})$/.exec(await c.waitFor(/^you are \w+, member ID [0-9a-f]{64}$/, 60_000))![1]!;

    await alice.ask('/create 周末爬山群', /^\* created group "周末爬山群" \([0-9a-f]{8}\); it is now the current group$/);
    await alice.ask(`/invite ${bob.id}`, /^\* invited [0-9a-f]{8} to "周末爬山群"$/);
    await bob.waitFor(/^\* you are now a member of "周末爬山群"/);

    // Live text both ways; the phone number is masked on the sender's device.
    alice.send('周六早上八点地铁站集合 🚇');
    await bob.waitFor(new RegExp(`\\[周末爬山群\\] ${alice.id.slice(0, 8)}: 周六早上八点地铁站集合 🚇$`));
    await bob.ask('好的！我的电话13912345678', /masked before it was encrypted/);
    await alice.waitFor(new RegExp(`\\[周末爬山群\\] ${bob.id.slice(0, 8)}: 好的！我的电话139\\*\\*\\*\\*5678$`));
    expect([...alice.lines, ...bob.lines].filter((l) => l.includes('13912345678'))).toEqual([]);

    // Carol joins by link (open policy: alice's client admits her).
    const linkLine = await alice.ask('/link 2 3', /^\* invite link \(valid 2 h, 3 uses\): \S+$/);
    const link = linkLine.split(': ').pop()!;
    await carol.ask(`/join ${link}`, /^\* join request sent/);
    await carol.waitFor(/^\* you are now a member of "周末爬山群"/);
    for (const c of [alice, bob]) await c.waitFor(new RegExp(`^\\* \\[周末爬山群\\] ${carol.id.slice(0, 8)} joined`));

    // /members, /safety (both ends compute the same number), /groups, /search.
    await alice.ask('/members', /^\* 3 members of "周末爬山群":$/);
    const n1 = (await alice.ask(`/safety ${bob.id.slice(0, 10)}`, /^\* safety number with /)).split(': ')[1]!;
    const n2 = (await bob.ask(`/safety ${alice.id.slice(0, 10)}`, /^\* safety number with /)).split(': ')[1]!;
    expect(n1).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(n2).toBe(n1);
    await bob.ask('/groups', /^\*1\. 周末爬山群 \([0-9a-f]{8}\) 3 members/);
    await bob.ask('/search 地铁', /^\* 1 result for "地铁"$/);
    await bob.waitFor(/^ {2}\d\d:\d\d \[周末爬山群\] [0-9a-f]{8}: 周六早上八点地铁站集合/);

    // Kick carol: she is told, and what follows never reaches her.
    await alice.ask(`/kick ${carol.id.slice(0, 12)}`, /^\* removed [0-9a-f]{8}; the group moved to a fresh key/);
    await carol.waitFor(/^\* you were removed from "周末爬山群"/);
    alice.send('carol 不在了，说点悄悄话');
    await bob.waitFor(/: carol 不在了，说点悄悄话$/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(carol.lines.filter((l) => l.includes('悄悄话'))).toEqual([]);
    // Carol can no longer send to it.
    await carol.ask('/switch 周末爬山群', /^\? no group "周末爬山群"/);

    // Errors are one line with a reason; /help lists commands; /quit exits cleanly.
    await alice.ask('/kick 0000', /^\? no member of this group has an ID starting with 0000$/);
    await alice.ask('/help', /^ {2}\/safety <member>/);
    for (const c of [alice, bob, carol]) c.send('/quit');
    expect(await Promise.all([alice.exited, bob.exited, carol.exited])).toEqual([0, 0, 0]);
  }, 150_000);
});
