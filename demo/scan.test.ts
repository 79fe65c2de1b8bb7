import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFiles, scanRelayFiles } from './scan';
import { displayWidth, formatLine, padEnd, Transcript } from './transcript';

const dir = mkdtempSync(join(tmpdir(), 'demo-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo scan', () => {
  const control = 'CONTROL-演示-控制串';
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  writeFileSync(join(dir, 'relay.sqlite'), Buffer.concat([Buffer.alloc(300, 1), Buffer.from(control), Buffer.alloc(40, 2)]));
  writeFileSync(join(dir, 'blobs', 'a'), Buffer.from(`x ${Buffer.from(control).toString('hex')} y`));
  writeFileSync(join(dir, 'blobs', 'b'), Buffer.from(`x ${Buffer.from(control).toString('base64')} y`));

  it('finds the planted control in each encoding and reports a missing one', () => {
    const r = scanRelayFiles({ dir, control, controlEncodings: ['utf8', 'hex', 'base64', 'utf16le'], needles: [] });
    expect(r.controlMissed).toEqual(['utf16le']);
    const found = new Set(r.control.map((f) => f.encoding));
    for (const e of ['utf8', 'hex', 'base64'] as const) expect(found.has(e)).toBe(true);
    expect(found.has('utf16le')).toBe(false);
    expect(r.leaks).toEqual([]);
  });

  it('names a leaked needle by its label, and only the leaked one', () => {
    writeFileSync(join(dir, 'blobs', 'c'), Buffer.from('我的手机号是13812345678', 'utf16le'));
    const r = scanRelayFiles({
      dir,
      control,
      controlEncodings: ['utf8'],
      needles: [
        { label: 'phone', value: '13812345678' },
        { label: 'group name', value: '病友互助群' },
      ],
    });
    expect(r.leaks.map((l) => [l.label, l.finding.encoding])).toEqual([['phone', 'utf16le']]);
    expect(describeFiles(r.files)).toMatch(/^blobs\/ \(3 files, \d+ B\), relay\.sqlite \(\d+ B\)$/);
    rmSync(join(dir, 'blobs', 'c'));
  });
});

describe('demo transcript', () => {
  it('counts CJK and emoji as two columns so actors line up', () => {
    expect(displayWidth('王秀兰')).toBe(6);
    expect(displayWidth('ab😀')).toBe(4);
    expect(displayWidth(padEnd('王秀兰', 8))).toBe(8);
  });

  it('keeps every line, marks failed checks and prints them as written', () => {
    const out: string[] = [];
    const t = new Transcript((s) => out.push(s));
    t.section('chat');
    t.act('王秀兰', 'sends "你好"');
    t.saw('李建国', 'got "你好"');
    expect(t.check(true, 'delivered')).toBe(true);
    expect(t.check(false, 'kicked member read nothing')).toBe(false);
    expect(t.failures.map((l) => l.text)).toEqual(['kicked member read nothing']);
    expect(t.plain()).toEqual(['\n== chat ==', '王秀兰   >> sends "你好"', '李建国   << got "你好"', 'PASS  delivered', 'FAIL  kicked member read nothing']);
    expect(out.join('')).toContain('<< got "你好"');
    expect(formatLine(t.lines[1]!)).toMatch(/^\[\s+\d+\.\d\ds\] 王秀兰/);
  });
});
