// The mini program build's terse error text (scripts/build-miniprogram.ts; off with
// `--verbose-errors`). docs/MINIPROGRAM.md "Size budgets" gives the decision and its reason.
//
// Every E2eeError keeps its stable `code` and its `operation`; what goes is the free-text
// detail. The source of the SDK bundle is rewritten before esbuild sees it:
//
//   new E2eeError(CODE, `truncated (needs ${n} bytes)`, op)  ->  new E2eeError(CODE, CODE, op)
//
// so `message` is the code itself (an empty string when the code is not a plain name, a
// literal, a property path or a template of those). A helper that only formats a message
// (`fail(field, reason)`, `sdkError(code, message, op)`, WireReader's `fail`, ...) is found
// by the same analysis: a parameter read nowhere but inside dropped message text is
// "message-only", and its argument is dropped at every call that the type checker resolves
// to that helper, repeated until nothing changes (so `r.u8('policy.joinPolicy')` loses its
// field name once WireReader's `fail` and `u8` are known to use it only for messages).
// The rules that keep behaviour identical:
//   - only text that ends up in an E2eeError message goes (TypeError / RangeError of caller
//     bugs keep theirs);
//   - a dropped expression must not assign, increment, delete, await or yield (the site is
//     left alone otherwise); everything else in a message is formatting;
//   - a helper is a function declaration, a `const` arrow or function, a constructor, or a
//     method of a class with a private member (nothing else can stand in for it); a method
//     counts only if every same-named method in its class tree has the same parameter
//     message-only (an override might read it);
//   - a spread argument at or before a dropped position leaves that call alone.
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The file that declares E2eeError; every construction of it (and `super` calls of subclasses) is a message site. */
export const E2EE_ERROR_FILE = join(ROOT, 'crypto', 'src', 'errors.ts');

export interface TerseErrorsPlan {
  /** Rewritten source text of every file that changed, by absolute path. */
  files: Map<string, string>;
  /** E2eeError constructions whose message was replaced. */
  messages: number;
  /** Arguments dropped at calls of message-only helper parameters. */
  arguments: number;
  /** The helpers found, as `file:name(index,...)`. */
  helpers: string[];
  /** Every file the analysis read (absolute paths), declaration files included. */
  sources: string[];
}

type FunctionLike = ts.FunctionDeclaration | ts.MethodDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.ConstructorDeclaration;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2020,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2020.d.ts'],
  types: [],
  noEmit: true,
  skipLibCheck: true,
  strict: true,
};

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isConstructorDeclaration(node);
}

/** True when evaluating `node` could change state: such an expression is never dropped. */
function mutates(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) ||
      ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) ||
      ts.isDeleteExpression(n) ||
      ts.isAwaitExpression(n) ||
      ts.isYieldExpression(n)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * A code expression cheap and pure enough to repeat as the message: a name, a literal,
 * `a.b.c`, or a template of those (`E2E_ERR_RELAY_${name}`).
 */
function repeatableCode(node: ts.Expression): boolean {
  if (ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return true;
  if (ts.isTemplateExpression(node)) return node.templateSpans.every((span) => repeatableCode(span.expression));
  return ts.isPropertyAccessExpression(node) && !node.questionDotToken && ts.isIdentifier(node.name) && repeatableCode(node.expression);
}

interface MessageSite {
  kind: 'message';
  node: ts.Expression;
  replacement: string;
}
interface ArgumentSite {
  kind: 'argument';
  call: ts.CallExpression | ts.NewExpression;
  index: number;
  node: ts.Expression;
}
type Site = MessageSite | ArgumentSite;

/**
 * Plans the rewrite for every TypeScript source file the entry reaches (node_modules and
 * declaration files excluded). Pure: reads files, writes nothing.
 */
export function planTerseErrors(entry: string): TerseErrorsPlan {
  const program = ts.createProgram([entry], COMPILER_OPTIONS);
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/') && f.fileName.endsWith('.ts'));
  const errorsFile = program.getSourceFile(E2EE_ERROR_FILE);
  const read = program.getSourceFiles().map((f) => resolve(f.fileName));
  if (!errorsFile) return { files: new Map(), messages: 0, arguments: 0, helpers: [], sources: read };
  let errorClass: ts.ClassDeclaration | undefined;
  ts.forEachChild(errorsFile, (n) => {
    if (ts.isClassDeclaration(n) && n.name?.text === 'E2eeError') errorClass = n;
  });
  const errorCtor = errorClass?.members.find(ts.isConstructorDeclaration);
  if (!errorClass || !errorCtor) throw new Error(`terse errors: no E2eeError constructor in ${relative(ROOT, E2EE_ERROR_FILE)}`);

  // Class hierarchy: an overridable method is a helper only as a family (the method and
  // every same-named method in classes sharing its root), and only for a parameter that
  // is message-only in every member.
  const parentOf = new Map<ts.Node, ts.Node>();
  const calls: (ts.CallExpression | ts.NewExpression)[] = [];
  const functions: FunctionLike[] = [];
  for (const sf of sources) {
    const visit = (n: ts.Node): void => {
      if (ts.isClassLike(n)) {
        for (const clause of n.heritageClauses ?? []) {
          if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
          for (const t of clause.types) {
            let s = checker.getSymbolAtLocation(t.expression);
            if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
            const parent = s?.declarations?.find((d) => ts.isClassLike(d));
            if (parent) parentOf.set(n, parent);
          }
        }
      }
      if (ts.isCallExpression(n) || ts.isNewExpression(n)) calls.push(n);
      if (isFunctionLike(n) && n.body) functions.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const rootOf = (c: ts.Node): ts.Node => {
    let r = c;
    for (let p = parentOf.get(r); p; p = parentOf.get(r)) r = p;
    return r;
  };
  const familyOf = new Map<FunctionLike, FunctionLike[]>();
  const families = new Map<ts.Node, Map<string, FunctionLike[]>>();
  for (const fn of functions) {
    if (!ts.isMethodDeclaration(fn) || !ts.isClassLike(fn.parent)) continue;
    const name = fn.name.getText();
    const byName = families.get(rootOf(fn.parent)) ?? new Map<string, FunctionLike[]>();
    families.set(rootOf(fn.parent), byName);
    const members = byName.get(name) ?? [];
    members.push(fn);
    byName.set(name, members);
    familyOf.set(fn, members);
  }

  // Only functions whose every caller the checker can see: declarations, `const f = (...) =>`,
  // constructors, and methods of a class with a private member (no other object can stand
  // in for it structurally). Object-literal methods and function values passed around are
  // never helpers.
  const nominal = (c: ts.ClassLikeDeclaration): boolean =>
    c.members.some((m) => (m.name && ts.isPrivateIdentifier(m.name)) || (ts.canHaveModifiers(m) && ts.getModifiers(m)?.some((k) => k.kind === ts.SyntaxKind.PrivateKeyword || k.kind === ts.SyntaxKind.ProtectedKeyword)) || (ts.isConstructorDeclaration(m) && m.parameters.some((p) => ts.getModifiers(p)?.some((k) => k.kind === ts.SyntaxKind.PrivateKeyword || k.kind === ts.SyntaxKind.ProtectedKeyword))));
  const eligible = (fn: FunctionLike): boolean => {
    if (ts.isFunctionDeclaration(fn) || ts.isConstructorDeclaration(fn)) return true;
    if (ts.isMethodDeclaration(fn)) return ts.isClassLike(fn.parent) && nominal(rootOf(fn.parent) as ts.ClassLikeDeclaration);
    const decl = fn.parent;
    return ts.isVariableDeclaration(decl) && decl.initializer === fn && ts.isVariableDeclarationList(decl.parent) && (decl.parent.flags & ts.NodeFlags.Const) !== 0;
  };

  // Call targets are resolved lazily: only calls whose callee name could be a helper's.
  const calleeName = (call: ts.CallExpression | ts.NewExpression): string | undefined => {
    const e = call.expression;
    if (e.kind === ts.SyntaxKind.SuperKeyword) return 'super';
    if (ts.isIdentifier(e)) return e.text;
    if (ts.isPropertyAccessExpression(e)) return e.name.text;
    return undefined;
  };
  const target = new Map<ts.Node, ts.Declaration | undefined>();
  const targetOf = (call: ts.CallExpression | ts.NewExpression): ts.Declaration | undefined => {
    if (!target.has(call)) target.set(call, checker.getResolvedSignature(call)?.declaration);
    return target.get(call);
  };

  // Message sites never change: every construction of E2eeError, and super(...) of a subclass.
  const messageSites: MessageSite[] = [];
  for (const call of calls) {
    const name = calleeName(call);
    if (name !== 'super' && !(ts.isNewExpression(call) && name === 'E2eeError')) continue;
    if (targetOf(call) !== errorCtor) continue;
    const [code, message] = call.arguments ?? [];
    if (!code || !message || ts.isSpreadElement(code) || ts.isSpreadElement(message) || mutates(message)) continue;
    messageSites.push({ kind: 'message', node: message, replacement: repeatableCode(code) ? code.getText() : '""' });
  }

  // References of each plain-named parameter inside its function (undefined: not analysable).
  const refsCache = new Map<FunctionLike, (ts.Node[] | undefined)[]>();
  const paramRefs = (fn: FunctionLike): (ts.Node[] | undefined)[] => {
    let cached = refsCache.get(fn);
    if (cached) return cached;
    const symbols = fn.parameters.map((p) => (ts.isIdentifier(p.name) && !p.dotDotDotToken ? checker.getSymbolAtLocation(p.name) : undefined));
    cached = symbols.map((sym) => (sym ? [] : undefined));
    const names = new Set(fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : '')));
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && names.has(n.text)) {
        const sym = checker.getSymbolAtLocation(n);
        const i = sym ? symbols.indexOf(sym) : -1;
        if (i >= 0 && n !== fn.parameters[i]!.name) cached![i]!.push(n);
      }
      ts.forEachChild(n, visit);
    };
    visit(fn);
    refsCache.set(fn, cached);
    return cached;
  };

  const helpers = new Map<FunctionLike, Set<number>>();
  const helperNames = new Set<string>();
  let argumentSites: ArgumentSite[] = [];
  for (;;) {
    argumentSites = [];
    for (const call of calls) {
      const name = calleeName(call);
      if (!name || !helperNames.has(name)) continue;
      const decl = targetOf(call);
      const dropped = decl && helpers.get(decl as FunctionLike);
      if (!dropped) continue;
      const args = call.arguments ?? [];
      const firstSpread = args.findIndex((a) => ts.isSpreadElement(a));
      for (const index of dropped) {
        const arg = args[index];
        if (!arg || (firstSpread >= 0 && firstSpread <= index) || mutates(arg)) continue;
        argumentSites.push({ kind: 'argument', call, index, node: arg });
      }
    }
    const dropped = new Map<ts.SourceFile, { pos: number; end: number }[]>();
    for (const site of [...messageSites, ...argumentSites]) {
      const sf = site.node.getSourceFile();
      const list = dropped.get(sf) ?? [];
      list.push({ pos: site.node.pos, end: site.node.end });
      dropped.set(sf, list);
    }
    const inDropped = (n: ts.Node): boolean => (dropped.get(n.getSourceFile()) ?? []).some((d) => n.pos >= d.pos && n.end <= d.end);
    const messageOnly = (fn: FunctionLike): Set<number> => {
      const out = new Set<number>();
      paramRefs(fn).forEach((refs, index) => {
        if (refs && refs.length > 0 && refs.every(inDropped)) out.add(index);
      });
      return out;
    };
    let grew = false;
    const own = new Map<FunctionLike, Set<number>>();
    for (const fn of functions) if (fn !== errorCtor && eligible(fn)) own.set(fn, messageOnly(fn));
    for (const fn of functions) {
      const mine = own.get(fn);
      if (!mine) continue;
      const family = familyOf.get(fn) ?? [fn];
      const found = [...mine].filter((i) => family.every((m) => own.get(m)?.has(i)));
      const known = helpers.get(fn) ?? new Set<number>();
      for (const i of found) {
        if (known.has(i)) continue;
        known.add(i);
        grew = true;
      }
      if (known.size) {
        helpers.set(fn, known);
        const name = fn.name?.getText() ?? (ts.isConstructorDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent.name?.text : undefined);
        if (name) helperNames.add(name);
      }
    }
    if (!grew) break;
  }

  // Emit: outermost sites only (a site inside another dropped expression goes with it).
  const all: Site[] = [...messageSites, ...argumentSites];
  const bySource = new Map<ts.SourceFile, Site[]>();
  for (const s of all) {
    const sf = s.node.getSourceFile();
    const list = bySource.get(sf) ?? [];
    list.push(s);
    bySource.set(sf, list);
  }
  const files = new Map<string, string>();
  let messages = 0;
  let args = 0;
  for (const [sf, list] of bySource) {
    const outer = list.filter((s) => !list.some((o) => o !== s && o.node.pos <= s.node.pos && o.node.end >= s.node.end && !(o.node.pos === s.node.pos && o.node.end === s.node.end)));
    const edits: { start: number; end: number; text: string }[] = [];
    const byCall = new Map<ts.Node, ArgumentSite[]>();
    for (const s of outer) {
      if (s.kind === 'message') {
        edits.push({ start: s.node.getStart(), end: s.node.end, text: s.replacement });
        messages++;
      } else {
        const l = byCall.get(s.call) ?? [];
        l.push(s);
        byCall.set(s.call, l);
      }
    }
    for (const [call, sites] of byCall) {
      const callArgs = (call as ts.CallExpression).arguments;
      const dropped = new Set(sites.map((s) => s.index));
      // Trailing dropped arguments are removed; earlier ones become 0.
      let keep = callArgs.length;
      while (keep > 0 && dropped.has(keep - 1)) keep--;
      if (keep < callArgs.length) {
        const from = keep === 0 ? callArgs[0]!.getStart() : callArgs[keep - 1]!.end;
        edits.push({ start: from, end: callArgs[callArgs.length - 1]!.end, text: '' });
      }
      for (const s of sites) if (s.index < keep) edits.push({ start: s.node.getStart(), end: s.node.end, text: '0' });
      args += sites.length;
    }
    edits.sort((a, b) => b.start - a.start);
    let text = sf.getFullText();
    for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    files.set(resolve(sf.fileName), text);
  }
  const helperList = [...helpers].map(([fn, idx]) => {
    const name = fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name)) ? fn.name.text : ts.isConstructorDeclaration(fn) ? 'constructor' : '(anonymous)';
    return `${relative(ROOT, fn.getSourceFile().fileName)}:${name}(${[...idx].sort().join(',')})`;
  });
  return { files, messages, arguments: args, helpers: helperList.sort(), sources: read };
}
