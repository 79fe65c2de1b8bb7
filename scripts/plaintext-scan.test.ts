import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patternsOf, scanForPlaintexts } from './plaintext-scan';

const dir = mkdtempSync(join(tmpdir(), 'scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plaintext scanner', () => {
  it('finds a control string embedded in noise in every encoding, at every base64 alignment', () => {
    const control = '控制字符串 control 13800138000';
    const raw = Buffer.from(control, 'utf8');
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff));
    const cases: [string, Buffer][] = [
      ['utf8', Buffer.concat([noise(100), raw, noise(50)])],
      ['utf16le', Buffer.concat([noise(33), Buffer.from(control, 'utf16le'), noise(9)])],
      ['hex', Buffer.from(`xx${raw.toString('hex')}yy`)],
      ['HEX', Buffer.from(`xx${raw.toString('hex').toUpperCase()}yy`)],
    ];
    for (let lead = 0; lead < 3; lead++) {
      cases.push(['base64', Buffer.from(Buffer.concat([noise(lead + 7), raw, noise(5)]).toString('base64'))]);
      cases.push(['base64url', Buffer.from(Buffer.concat([noise(lead + 4), raw, noise(3)]).toString('base64url'))]);
    }
    cases.forEach(([encoding, content], i) => {
      const f = join(dir, `case-${i}.bin`);
      writeFileSync(f, content);
      const hits = scanForPlaintexts([f], ['unrelated needle text', control]);
      expect(hits.some((h) => h.needle === 1 && h.encoding === encoding), `${encoding} case ${i}`).toBe(true);
      expect(hits.every((h) => h.needle === 1)).toBe(true);
    });
  });

  it('finds any needle in base64 of any surrounding bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 6, maxLength: 30 }), fc.uint8Array({ maxLength: 20 }), (pre, needle, post) => {
        const text = Buffer.from(Buffer.concat([pre, needle, post]).toString('base64'));
        const pats = patternsOf(needle).filter((x) => x.encoding === 'base64');
        expect(pats.some((x) => text.includes(x.bytes))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reports nothing on clean files and walks directories', () => {
    const sub = join(dir, 'clean', 'nested');
    writeFileSync(join(dir, 'clean.bin'), Buffer.alloc(4096, 7));
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'x.bin'), Buffer.from('nothing to see here'));
    expect(scanForPlaintexts([join(dir, 'clean.bin'), join(dir, 'clean')], ['secret phrase'])).toEqual([]);
    writeFileSync(join(sub, 'y.bin'), Buffer.from('a secret phrase hides'));
    expect(scanForPlaintexts([join(dir, 'clean')], ['secret phrase'])).toHaveLength(1);
  });

  it('refuses needles too short to be meaningful', () => {
    expect(() => patternsOf('abc')).toThrow(RangeError);
  });
});
