// `npm run demo` end to end: the real command in a child process (relay process, four member
// processes), its exit code and the transcript lines that carry the claims.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MASKED_PHONE, NAMES, PHONE, ROOT, TEXTS } from './scenario';

/** Bounded: the child is killed after this long. About 40-50 s with the 2 cores shared by a busy team, less when quiet. */
const LIMIT_MS = 150_000;

function runDemoCommand(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('npm run demo', () => {
  it('runs the scripted conversation across processes and passes every check', async () => {
    const { code, out, err } = await runDemoCommand();
    const lines = out.split('\n').map((l) => l.replace(/^\[\s*\d+\.\d+s\] /, ''));
    const failed = lines.filter((l) => l.startsWith('FAIL'));
    expect(failed, `${out}\n${err}`).toEqual([]);
    expect(code).toBe(0);
    const has = (re: RegExp) => expect(lines.some((l) => re.test(l)), String(re)).toBe(true);
    // Separate processes, one relay.
    has(/relay started as its own process \(pid \d+\)/);
    expect(new Set([...out.matchAll(/in its own process \(pid (\d+)\)/g)].map((m) => m[1])).size).toBe(4);
    // The phone number: masked on the sender's device, never seen in the clear by anyone.
    has(new RegExp(`^${NAMES.b}\\s+>> types ".*${PHONE}`));
    for (const who of [NAMES.owner, NAMES.c, NAMES.kicked]) has(new RegExp(`^${who}\\s+<< ${NAMES.b}: ".*${MASKED_PHONE.replace(/\*/g, '\\*')}`));
    expect(lines.filter((l) => l.includes('<<') && l.includes(PHONE))).toEqual([]);
    // The photo arrives without its GPS position; the poll tally agrees.
    has(/<< 张晓明: \[photo \d+ bytes\] .*GPS in the file: none/);
    has(/<< tally: 周三中午 2, 周四晚上 0, 周六中午 1 \(3 voters\)/);
    // The kicked member: nothing delivered, fetch refused, every post-kick ciphertext undecryptable.
    has(/its own client delivered 0 message\(s\)/);
    has(/refused \(E2E_ERR_RELAY_/);
    has(/seq \d+ \(epoch \d+\): cannot decrypt \(E2E_ERR_/);
    expect(lines.filter((l) => l.includes(': READ '))).toEqual([]);
    expect(lines.filter((l) => l.startsWith(NAMES.kicked) && l.includes(TEXTS.afterKick1))).toEqual([]);
    // The scan found its control and no plaintext, before and after the WAL checkpoint.
    expect(lines.filter((l) => /^PASS {2}control found first/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^PASS {2}none of the \d+ plaintexts is in the relay's files/.test(l))).toHaveLength(2);
    has(/== demo passed ==/);
  }, LIMIT_MS + 10_000);
});
