// The build's last size pass (scripts/iife-arrows.ts): a function expression called on the
// spot becomes an arrow, and nothing else changes. Checked on small programs (what is
// rewritten, what is left alone, and that each program computes the same before and after)
// and on the SDK bundle as the mini program gets it.
import { createContext, runInContext, runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iifesToArrows, iifesToArrowsText } from '../../scripts/iife-arrows';
import { sdkBundle } from './bundle';

/** Runs `code` (whose last expression statement is the result) in a fresh context; JSON of the result or of the error. */
function run(code: string): string {
  try {
    return JSON.stringify(runInNewContext(`"use strict";${code}`, {}));
  } catch (error) {
    return `threw ${(error as Error).name}: ${(error as Error).message}`;
  }
}

function functionCount(code: string): number {
  return (code.match(/\bfunction\b/g) ?? []).length;
}

describe('iife-arrows on small programs', () => {
  const converted: [string, string][] = [
    ['expression body', 'var r=function(e){return e+1}(2);r'],
    ['statement body', 'var r=function(e,t){let n=e*t;return n-1}(3,4);r'],
    ['object literal result', 'var r=function(){return{a:1,b:[2]}}();r'],
    ['comma result', 'var x=0;var r=function(){return x++,x++,x}();r'],
    ['no return', 'var o={n:0};!function(e){e.n=5}(o);o.n'],
    ['parenthesised callee', 'var r=(function(e){return e*2})(21);r'],
    ['default and destructured parameters', 'var r=function({a:e},[t,n]=[5,6],o=e+t){return[e,t,n,o]}({a:1});r'],
    ['rest parameter', 'var r=function(...e){return e.length}(1,2,3);r'],
    ['closure over an outer variable', 'var k=7;var r=function(){return function(e){return e+k}(1)}();r'],
    ['nested IIFEs', 'var r=function(e){return function(t){return function(){return e+t}()}(e*2)}(5);r'],
    ['in a condition and a template', 'var r=`${function(){return 1}()?function(e){return e}("a"):"b"}`;r'],
    ['throws from inside', 'var r=function(e){if(e)throw new RangeError("x "+e);return 0}(3);r'],
    ['optional call', 'var r=function(){return 4}?.();r'],
    ['inside an arrow that uses this', 'var o={v:3,m(){return(()=>this.v+function(e){return e}(1))()}};o.m()'],
  ];
  for (const [name, code] of converted) {
    it(`rewrites and keeps the result: ${name}`, () => {
      const { code: out, converted: n, kept } = iifesToArrowsText(code);
      expect(n).toBe(functionCount(code));
      expect(kept).toBe(0);
      expect(functionCount(out)).toBe(0);
      expect(run(out)).toBe(run(code));
      expect(run(out)).not.toMatch(/^threw SyntaxError/);
    });
  }

  it('keeps an async IIFE async', async () => {
    const code = 'var r=async function(e){await null;return e+1}(1);r';
    const out = iifesToArrowsText(code).code;
    expect(out).toContain('async');
    expect(functionCount(out)).toBe(0);
    const context = createContext({});
    const [a, b] = [runInContext(code, context) as Promise<number>, runInContext(out, context) as Promise<number>];
    expect(b).toBeInstanceOf(runInContext('Promise', context));
    expect(await b).toBe(await a);
  });

  const untouched: [string, string][] = [
    ['a function value that escapes', 'var F=function(e){this.e=e};var r=new F(2).e;r'],
    ['a function whose prototype is read', 'var r=typeof function(){}.prototype;r'],
    ['a function called with .call', 'var r=function(){return typeof this}.call(5);r'],
    ['a constructor call', 'var r=new function(){this.a=1}().a;r'],
    ['a named function expression', 'var r=function f(e){return e?e*f(e-1):1}(5);r'],
    ['this', 'var r=function(){return typeof this}();r'],
    ['arguments', 'var r=function(){return arguments.length}(1,2);r'],
    ['arguments in a nested arrow', 'var r=function(){return(()=>arguments[0])()}(9);r'],
    ['this in a nested function (conservative)', 'var r=function(){return function(){return this}.call(1)}();r'],
    ['new.target', 'var r=function(){return new.target===void 0}();r'],
    ['eval', 'var r=function(){return eval("1+1")}();r'],
    ['a generator', 'var r=[...function*(){yield 1;yield 2}()];r'],
    ['a directive prologue', 'var r=function(){"use strict";return 1}();r'],
    ['a tagged template', 'var r=function(e){return e[0]}`x`;r'],
  ];
  for (const [name, code] of untouched) {
    it(`leaves alone: ${name}`, () => {
      const { code: out, converted: n } = iifesToArrowsText(code);
      expect(n).toBe(0);
      expect(out).toBe(code);
    });
  }

  it('keeps an IIFE with `this` anywhere inside, and rewrites the IIFEs within it', () => {
    const code = 'var r=function(e){return function(){return this}.call(e)+function(t){return t}(1)}(2);r';
    const { code: out, converted: n, kept } = iifesToArrowsText(code);
    expect([n, kept]).toEqual([1, 1]);
    expect(functionCount(out)).toBe(2);
    expect(run(out)).toBe(run(code));
  });

  it('computes the same for generated nests of IIFEs (property)', () => {
    // Expressions over one variable built from IIFEs with 0-2 parameters, object and comma returns.
    const expr: fc.Memo<string> = fc.memo((depth) =>
      depth <= 1
        ? fc.constantFrom('x', '1', '"s"', '[x]', '({k:x})')
        : fc.oneof(
            fc.constantFrom('x', '2'),
            fc.tuple(expr(depth - 1), expr(depth - 1)).map(([a, b]) => `function(x){return ${a}}(${b})`),
            fc.tuple(expr(depth - 1), expr(depth - 1)).map(([a, b]) => `function(y,z){let x=[y,z];return ${a},${b}}(${a})`),
            expr(depth - 1).map((a) => `function(){return{v:${a}}}().v`),
            fc.tuple(expr(depth - 1), expr(depth - 1)).map(([a, b]) => `(${a}?${b}:function(){return x}())`),
          ),
    );
    fc.assert(
      fc.property(expr(4), (e) => {
        const code = `var x=3;var r=${e};JSON.stringify(r)`;
        const { code: out } = iifesToArrowsText(code);
        expect(functionCount(out)).toBe(0);
        expect(run(out)).toBe(run(code));
      }),
      { numRuns: 150 },
    );
  });

  it('the build form prints the result again (parses, no comments, fewer bytes)', async () => {
    const code = 'var r=function(e){return{a:e}}(1),s=(function(){return 2})();r.a+s';
    const out = await iifesToArrows(code);
    expect(out.converted).toBe(2);
    expect(out.code.length).toBeLessThan(code.length);
    expect(run(out.code)).toBe(run(code));
    await expect(iifesToArrows('var r=function(e){return e}(;')).rejects.toThrow();
  });
});

describe('iife-arrows in the SDK bundle', () => {
  it('leaves no IIFE it could rewrite, and keeps the others', async () => {
    const { code } = await sdkBundle();
    const again = iifesToArrowsText(code);
    expect(again.converted).toBe(0);
    // Some function expressions remain (values that escape, and IIFEs using `this`).
    expect(functionCount(code)).toBeGreaterThan(0);
  });
});
