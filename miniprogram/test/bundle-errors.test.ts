// The mini program build's terse E2eeError messages (scripts/terse-errors.ts): the free-text
// detail goes, the code and the operation stay, nothing else changes; `verboseErrors` keeps
// the detail. Checked on a small program (the rewrite itself, then its bundle run) and on the
// real SDK bundle inside the logic-layer sandbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMiniprogramBundle, type BundleResult } from '../../scripts/build-miniprogram';
import { planTerseErrors } from '../../scripts/terse-errors';
import { sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';
let entry = '';

// A program with every shape the rewrite must handle, and the ones it must leave alone.
function fixture(errorsSpec: string): string {
  return `import { E2eeError } from '${errorsSpec}';
const MALFORMED = 'E2E_ERR_MALFORMED';
function fail(field: string, reason: string): never {
  throw new E2eeError(MALFORMED, \`\${field}: \${reason}\`, 'decode thing');
}
/** Formats through fail: its own name parameter ends up in messages only. */
function need(name: string, ok: boolean): void {
  if (!ok) fail(name, 'missing SECRET-FIELD-NAME');
}
export function checkSize(n: number): number {
  need('size header', n >= 0);
  if (n > 9) fail('size', \`value \${n} exceeds 9\`);
  return n;
}
/** A message that changes state is never dropped. */
export function counted(): number {
  let calls = 0;
  try {
    throw new E2eeError(MALFORMED, \`attempt \${++calls} KEEP-MUTATING\`, 'counted');
  } catch {
    return calls;
  }
}
/** Caller bugs keep their text. */
export function callerBug(x: unknown): void {
  if (typeof x !== 'string') throw new TypeError('"x" expected a string KEEP-TYPEERROR');
}
class Reader {
  private reads = 0;
  fail(field: string, reason: string): never {
    throw new E2eeError(MALFORMED, \`reader: \${field}: \${reason}\`, 'decode reader');
  }
  byte(field: string, v: number): number {
    this.reads++;
    if (v > 255) this.fail(field, 'DROP-READER-REASON');
    return v;
  }
}
/** A subclass whose code is a template: the message repeats the template. */
class Refusal extends E2eeError {
  constructor(name: string, detail: string) {
    super(\`E2E_ERR_RELAY_\${name}\`, \`refused: \${detail}\`, 'relay');
  }
}
export function refuse(): E2eeError {
  return new Refusal('HEAD_MISMATCH', 'DROP-REFUSAL-DETAIL');
}
/** No private member: any object of the same shape could stand in for it, so it is left alone. */
class Structural {
  fail(field: string): never {
    throw new E2eeError(MALFORMED, \`structural: \${field}\`, 'decode structural');
  }
}
export function structural(): void {
  new Structural().fail('KEEP-STRUCTURAL-FIELD');
}
/** An override that reads the field outside its message: the family keeps the field argument. */
class LoggingReader extends Reader {
  seen: string[] = [];
  override fail(field: string, reason: string): never {
    this.seen.push(field);
    throw new E2eeError(MALFORMED, \`logging: \${reason}\`, 'decode logging');
  }
}
export function readWith(logging: boolean, v: number): { error: E2eeError; seen: string[] } {
  const r = logging ? new LoggingReader() : new Reader();
  try {
    r.byte('KEEP-FIELD-NAME', v);
  } catch (e) {
    return { error: e as E2eeError, seen: r instanceof LoggingReader ? r.seen : [] };
  }
  throw new Error('no error');
}
`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mp-terse-'));
  entry = join(dir, 'entry.ts');
  const spec = relative(dir, join(REPO, 'crypto', 'src', 'errors')).split('\\').join('/');
  writeFileSync(entry, fixture(spec));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(result: BundleResult): Record<string, (...args: unknown[]) => unknown> {
  const module = { exports: {} as Record<string, (...args: unknown[]) => unknown> };
  new Function('module', 'exports', result.code)(module, module.exports);
  return module.exports;
}

describe('terse E2eeError messages: the rewrite', () => {
  it('drops message text and the arguments that only feed it, and nothing else', () => {
    const plan = planTerseErrors(entry);
    const text = plan.files.get(entry);
    expect(text).toBeDefined();
    // Message text and the helper arguments that exist only for it are gone.
    expect(text).not.toMatch(/exceeds 9|SECRET-FIELD-NAME|size header|DROP-READER-REASON|DROP-REFUSAL-DETAIL/);
    expect(text).toContain('throw new E2eeError(MALFORMED, MALFORMED, \'decode thing\')');
    expect(text).toMatch(/need\(n >= 0\)|need\(0, n >= 0\)/);
    // Left alone: a mutating message, a TypeError, and the field an override reads.
    expect(text).toContain('KEEP-MUTATING');
    expect(text).toContain('KEEP-TYPEERROR');
    expect(text).toContain("r.byte('KEEP-FIELD-NAME', v)");
    expect(text).toContain("fail('KEEP-STRUCTURAL-FIELD')");
    expect(plan.helpers).toEqual(expect.arrayContaining([expect.stringMatching(/entry\.ts:fail\(0,1\)$/), expect.stringMatching(/entry\.ts:need\(0\)$/)]));
    expect(plan.helpers.some((h) => /:byte\(|Structural|:fail\(0\)$/.test(h))).toBe(false);
  });

  it('the bundle behaves the same: codes and operations kept, message = code; verboseErrors keeps the text', async () => {
    const terse = load(await buildMiniprogramBundle({ entry }));
    const verbose = load(await buildMiniprogramBundle({ entry, verboseErrors: true }));
    for (const m of [terse, verbose]) {
      expect(m.checkSize!(3)).toBe(3);
      expect(m.counted!()).toBe(1);
      expect(() => m.callerBug!(1)).toThrow(/KEEP-TYPEERROR/);
      expect(() => m.structural!()).toThrow(expect.objectContaining({ code: 'E2E_ERR_MALFORMED', operation: 'decode structural' }));
    }
    expect(() => terse.checkSize!(10)).toThrow(expect.objectContaining({ code: 'E2E_ERR_MALFORMED', operation: 'decode thing', message: 'E2E_ERR_MALFORMED' }));
    expect(() => terse.checkSize!(-1)).toThrow(expect.objectContaining({ code: 'E2E_ERR_MALFORMED', message: 'E2E_ERR_MALFORMED' }));
    expect(() => verbose.checkSize!(10)).toThrow(expect.objectContaining({ code: 'E2E_ERR_MALFORMED', operation: 'decode thing', message: 'size: value 10 exceeds 9' }));
    expect(() => verbose.checkSize!(-1)).toThrow(expect.objectContaining({ message: 'size header: missing SECRET-FIELD-NAME' }));
    // The override still sees its field; both classes keep code and operation.
    for (const m of [terse, verbose]) {
      const logged = m.readWith!(true, 300) as { error: { code: string; operation: string }; seen: string[] };
      expect(logged.seen).toEqual(['KEEP-FIELD-NAME']);
      expect(logged.error).toMatchObject({ code: 'E2E_ERR_MALFORMED', operation: 'decode logging' });
      const plain = m.readWith!(false, 300) as { error: { code: string; operation: string } };
      expect(plain.error).toMatchObject({ code: 'E2E_ERR_MALFORMED', operation: 'decode reader' });
    }
    expect((terse.readWith!(false, 300) as { error: Error }).error.message).toBe('E2E_ERR_MALFORMED');
    expect(terse.refuse!()).toMatchObject({ code: 'E2E_ERR_RELAY_HEAD_MISMATCH', operation: 'relay', message: 'E2E_ERR_RELAY_HEAD_MISMATCH' });
    expect(verbose.refuse!()).toMatchObject({ code: 'E2E_ERR_RELAY_HEAD_MISMATCH', operation: 'relay', message: 'refused: DROP-REFUSAL-DETAIL' });
    expect((verbose.readWith!(false, 300) as { error: Error }).error.message).toBe('reader: KEEP-FIELD-NAME: DROP-READER-REASON');
  });
});

describe('terse E2eeError messages: the SDK bundle in the sandbox', () => {
  const open: LogicLayerSandbox[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  type Sdk = {
    decodeRelayFrame(b: Uint8Array): unknown;
    decodePolicyBytes(b: Uint8Array): unknown;
    decodeAuthChallengeResponse(b: Uint8Array): unknown;
    hexToBytes(s: string): Uint8Array;
    isE2eeError(e: unknown, code?: string): boolean;
  };
  function caught(f: () => unknown): { name: string; code?: string; operation?: string; message: string } {
    try {
      f();
    } catch (e) {
      return e as { name: string; code?: string; operation?: string; message: string };
    }
    throw new Error('expected a throw');
  }

  it('keeps every code and operation, drops the detail, and is smaller than the verbose build', async () => {
    const terse = await sdkBundle();
    const verbose = await buildMiniprogramBundle({ verboseErrors: true });
    expect(terse.bytes).toBeLessThan(verbose.bytes - 4000);
    const results: Record<string, ReturnType<typeof caught>>[] = [];
    for (const build of [terse, verbose]) {
      const s = createLogicLayerSandbox();
      open.push(s);
      const sdk = s.loadModule<Sdk>(build.code, 'lib/sdk.js');
      const junk = s.run<Uint8Array>('new Uint8Array([250, 1, 2])');
      const out = {
        frame: caught(() => sdk.decodeRelayFrame(junk)),
        policy: caught(() => sdk.decodePolicyBytes(junk)),
        auth: caught(() => sdk.decodeAuthChallengeResponse(junk)),
        callerBug: caught(() => sdk.hexToBytes('zz')),
      };
      for (const key of ['frame', 'policy', 'auth'] as const) {
        expect(out[key].name, key).toBe('E2eeError');
        expect(out[key].code, key).toMatch(/^E2E_ERR_[A-Z_]+$/);
        expect(out[key].operation, key).toBeTruthy();
      }
      expect(out.callerBug.name).not.toBe('E2eeError');
      results.push(out);
    }
    const [t, v] = results as [Record<string, ReturnType<typeof caught>>, Record<string, ReturnType<typeof caught>>];
    for (const key of ['frame', 'policy', 'auth']) {
      // Same typed error from both builds; only the text differs.
      expect({ code: t[key]!.code, operation: t[key]!.operation }).toEqual({ code: v[key]!.code, operation: v[key]!.operation });
      expect(t[key]!.message, key).toBe(t[key]!.code);
      expect(v[key]!.message.length, key).toBeGreaterThan(t[key]!.code!.length);
    }
    // Caller bugs keep their text in both.
    expect(t.callerBug!.message).toBe(v.callerBug!.message);
  });
});
