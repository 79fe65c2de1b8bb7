// Spawns the CLI with real stdin (child process, hence *.integration.test.ts).
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(input: string, args: string[] = ['--jsonl']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/redact.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const PHONE = '13812345678';
const ID = '11010519491231002X';

describe('npm run redact -- --jsonl', () => {
  it('writes one line per input, in order, masking every entity and never echoing a value', async () => {
    const lines = [
      { text: `手机${PHONE}` },
      { text: '没有敏感信息' },
      { text: `身份证${ID}，邮箱 zhangsan@qq.com` },
    ];
    const r = await run(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({ text: '手机138****5678', findings: [{ type: 'CN_MOBILE', start: 2, end: 13, score: 0.95, action: 'mask' }] });
    expect(out[1]).toEqual({ text: '没有敏感信息', findings: [] });
    expect(out[2].findings.map((f: { type: string }) => f.type)).toEqual(['CN_ID', 'EMAIL']);
    expect(r.stdout).not.toContain(PHONE);
    expect(r.stdout).not.toContain(ID);
    expect(r.stdout).not.toContain('zhangsan');
  });

  it('reports a bad line on its own line, continues, and exits non-zero', async () => {
    const input = [JSON.stringify({ text: PHONE }), `not json ${PHONE}`, JSON.stringify({ txt: PHONE }), '[1]', JSON.stringify({ text: 'ok' })].join('\n');
    const r = await run(input);
    expect(r.code).toBe(1);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(5);
    expect(out[0].text).toBe('138****5678');
    expect(out[1]).toEqual({ error: { code: 'E2E_ERR_MALFORMED', message: 'line is not JSON' } });
    expect(out[2].error.code).toBe('E2E_ERR_BAD_INPUT');
    expect(out[3].error.code).toBe('E2E_ERR_BAD_INPUT');
    expect(out[4]).toEqual({ text: 'ok', findings: [] });
    expect(r.stdout).not.toContain(PHONE);
  });

  it('takes a policy file and rejects a policy that allows ID numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redact-cli-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ v: 1, actions: { CN_MOBILE: 'remove' } }));
    const r = await run(JSON.stringify({ text: `电话${PHONE}` }) + '\n', ['--jsonl', '--policy', good]);
    expect(JSON.parse(r.stdout).text).toBe('电话[手机号]');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ v: 1, actions: { CN_ID: 'allow' } }));
    const r2 = await run('', ['--jsonl', '--policy', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('never be allowed');
  });

  it('refuses to run without --jsonl', async () => {
    const r = await run('');
    expect(r.code).toBe(0);
    const r2 = await run('', []);
    expect(r2.code).toBe(2);
  });
});
