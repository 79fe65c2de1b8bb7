// IIFEs as arrow functions: a size pass over minified JavaScript (the mini program's SDK
// bundle, scripts/build-miniprogram.ts). terser inlines a function that is called once
// as `function(e){...}(x)` at its call site; written as an arrow, `(e=>{...})(x)`, the same
// call is 5-6 bytes shorter, and `(e=>X)(x)` when the body is only `return X`.
//
// terser's own `unsafe_arrows` converts EVERY anonymous function expression without `this`,
// which is unsafe when such a function is later called with `new` or its `.prototype` is
// read. This pass converts only a function expression that is the callee of a call (through
// parentheses only): it is created and called at once and the function object is reachable
// from nowhere else, so `new`, `.prototype`, `.name` and `.length` can never be applied to it.
// What remains observable is the call itself, and there the two forms agree when the body
// never mentions `this`, `arguments`, `new.target`, `super` or `eval` (an arrow takes the first four from its
// surroundings), which is checked anywhere inside, nested functions included (conservative).
// Generators are skipped (no generator arrows), as are bodies with a directive prologue
// (`"use strict"` is not allowed in an arrow with non-simple parameters). Parameters,
// defaults and destructuring mean the same in both forms; async functions become async arrows.
//
// The rewrite only inserts text around the function keyword, after the parameter list and
// after the body, so nested IIFEs need no special care; the result is parsed and printed again
// by terser without compression (checking that it parses, and dropping redundant parentheses).
import ts from 'typescript';

export interface IifeArrowsResult {
  code: string;
  /** IIFEs rewritten as arrows. */
  converted: number;
  /** IIFEs left as functions (generators, or using `this`, `arguments`, `new.target`, `super`, `eval` or a directive). */
  kept: number;
}

/** True when `node` itself is this / arguments / new.target / super, or `eval` (which could name them). */
function isCallContext(n: ts.Node): boolean {
  return n.kind === ts.SyntaxKind.ThisKeyword || n.kind === ts.SyntaxKind.SuperKeyword || ts.isMetaProperty(n) || (ts.isIdentifier(n) && (n.text === 'arguments' || n.text === 'eval'));
}

function isCallee(fn: ts.FunctionExpression): boolean {
  let child: ts.Node = fn;
  let parent = fn.parent;
  while (ts.isParenthesizedExpression(parent)) {
    child = parent;
    parent = parent.parent;
  }
  return ts.isCallExpression(parent) && parent.expression === child;
}

function hasDirective(body: ts.Block): boolean {
  const first = body.statements[0];
  return first !== undefined && ts.isExpressionStatement(first) && ts.isStringLiteral(first.expression);
}

/** The text edits: [position, text to insert, characters to delete]. */
type Edit = [number, string, number];

/** Rewrites every safe IIFE of `code` (plain JavaScript) as an arrow function. */
export function iifesToArrowsText(code: string): IifeArrowsResult {
  const sf = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  let converted = 0;
  let kept = 0;
  // One post-order walk: returns whether the subtree mentions this / arguments / new.target /
  // super anywhere (nested functions included), and rewrites each IIFE on the way out.
  const visit = (node: ts.Node): boolean => {
    let inside = false;
    ts.forEachChild(node, (child) => {
      if (visit(child)) inside = true;
    });
    if (ts.isFunctionExpression(node) && !node.name && isCallee(node)) {
      if (node.asteriskToken || inside || hasDirective(node.body)) kept++;
      else rewrite(node);
    }
    return inside || isCallContext(node);
  };
  const rewrite = (node: ts.FunctionExpression): void => {
    const start = node.getStart(sf);
    const isAsync = node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) === true;
    // `function` or `async function`, then the parameter list's `(` (no type syntax in JS).
    const open = code.indexOf('(', start);
    const head = code.slice(start, open).replace(/\s+/g, ' ').trim();
    if (head !== (isAsync ? 'async function' : 'function')) throw new Error(`iife-arrows: unexpected function head "${head}" at ${start}`);
    const close = code.indexOf(')', node.parameters.end);
    if (close < 0 || code.slice(node.parameters.end, close).trim() !== '') throw new Error(`iife-arrows: parameter list not closed at ${node.parameters.end}`);
    const body = node.body;
    edits.push([start, isAsync ? '(async' : '(', open - start]);
    edits.push([close + 1, '=>', 0]);
    const only = body.statements.length === 1 ? body.statements[0] : undefined;
    if (only && ts.isReturnStatement(only) && only.expression) {
      // `{return X}` -> `(X)`: the parentheses keep an object literal or a comma list whole.
      const bodyStart = body.getStart(sf);
      edits.push([bodyStart, '(', only.expression.getStart(sf) - bodyStart]);
      edits.push([only.expression.end, '))', body.end - only.expression.end]);
    } else {
      edits.push([body.end, ')', 0]);
    }
    converted++;
  };
  visit(sf);
  // Edits never overlap (each lies in a gap between tokens of its own function, and nested
  // functions sit inside its body). At one position the earlier edit's text comes first:
  // `=>` goes before the body's `(` that replaces `{return `.
  const order = edits.map((edit, index) => ({ edit, index })).sort((a, b) => a.edit[0] - b.edit[0] || a.index - b.index);
  const parts: string[] = [];
  let from = 0;
  for (const { edit: [at, text, remove] } of order) {
    if (at < from) throw new Error(`iife-arrows: overlapping edits at ${at}`);
    parts.push(code.slice(from, at), text);
    from = at + remove;
  }
  parts.push(code.slice(from));
  const out = parts.join('');
  return { code: out, converted, kept };
}

/**
 * The pass as the build runs it: rewrite, then parse and print again with terser (no
 * compression, no mangling; ES2017 output), which fails loudly on a rewrite that does not
 * parse and drops the parentheses the rewrite added where none are needed.
 */
export async function iifesToArrows(code: string): Promise<IifeArrowsResult> {
  const rewritten = iifesToArrowsText(code);
  // Loaded on use, as in build-miniprogram.ts.
  const { minify } = await import('terser');
  const out = await minify(rewritten.code, { ecma: 2017, module: false, compress: false, mangle: false, format: { comments: false } });
  if (out.code === undefined) throw new Error('iife-arrows: terser printed no output');
  return { ...rewritten, code: out.code };
}
