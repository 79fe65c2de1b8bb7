// npm run build:miniprogram: bundles miniprogram/sdk-entry.ts (crypto core + client SDK +
// wx adapter) into miniprogram/lib/sdk.js, and miniprogram/bridge-entry.ts (the UI bridge:
// view-model mapping, wx file helpers, startMiniProgram) into miniprogram/lib/bridge.js,
// which takes every SDK value from lib/sdk.js through `require('./sdk.js')` and bundles
// no crypto or client module of its own.
//
// CommonJS, ES2017 syntax (BigInt is used through BigInt() calls and needs iOS 14+),
// minified, platform neutral. The WeChat logic layer has no Node built-ins, so the
// build FAILS if any `node:` module or Node built-in would be bundled, and the output
// is checked afterwards for any `require(` that survived.
//
// Size (lib/sdk.js has a 250 KB budget, scripts/bundle-size.ts): esbuild bundles, lowers to
// ES2017 and minifies; terser then compresses and mangles the result once more (safe options
// only, ES2017 output), which esbuild's single-pass minifier leaves on the table. noble's hash
// classes (see NOBLE_ASSIGNED_FIELDS) have their class fields emitted as constructor
// assignments instead of ES2017 `defineProperty` helper calls. And E2eeError messages lose
// their free-text detail (code and operation stay): scripts/terse-errors.ts, off with
// `--verbose-errors` (npm run build:miniprogram -- --verbose-errors). Last, the functions
// terser inlined as `function(e){...}(x)` are written as arrows, `(e=>{...})(x)`, where that
// cannot change what the code does (scripts/iife-arrows.ts says why).
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { TerseErrorsPlan } from './terse-errors';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MINIPROGRAM_DIR = join(ROOT, 'miniprogram');
export const SDK_ENTRY = join(MINIPROGRAM_DIR, 'sdk-entry.ts');
export const SDK_BUNDLE = join(MINIPROGRAM_DIR, 'lib', 'sdk.js');
export const BRIDGE_ENTRY = join(MINIPROGRAM_DIR, 'bridge-entry.ts');
export const BRIDGE_BUNDLE = join(MINIPROGRAM_DIR, 'lib', 'bridge.js');
/** The one module lib/bridge.js requires: the SDK bundle beside it. */
export const BRIDGE_REQUIRES_SDK = './sdk.js';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** True when `spec` names a Node built-in (`node:fs`, `fs`, `fs/promises`, ...). */
export function isNodeBuiltin(spec: string): boolean {
  if (spec.startsWith('node:')) return true;
  return NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!);
}

/** Fails resolution of every Node built-in, naming the importer, instead of letting it through. */
const forbidNodeBuiltins: Plugin = {
  name: 'forbid-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || !isNodeBuiltin(args.path)) return undefined;
      const importer = args.importer ? relative(ROOT, args.importer) : '(entry)';
      return { errors: [{ text: `Node built-in "${args.path}" would be bundled (imported by ${importer}); the WeChat logic layer has none` }] };
    });
  },
};

/** Every `require("x")` left in bundled code (the bundle must have none: it runs with no require). */
export function requiresIn(code: string): string[] {
  return [...code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]*)\1\s*\)/g)].map((m) => m[2]!);
}

/**
 * First line of the bundle. WeChat's logic layer may have no `globalThis` (base library
 * 2.15.0 on older iOS), so code that names it (client/src/history/utf8.ts probes
 * `globalThis.TextEncoder`) would throw a ReferenceError at load. The bundle binds its own,
 * module-local `globalThis` the one way WeChat allows: `new Function('return this')()`.
 */
export const GLOBAL_THIS_BINDING = 'var globalThis=(new Function("return this"))();';

/**
 * noble modules whose class fields are emitted as assignments in the constructor
 * (TypeScript's useDefineForClassFields: false) rather than as one `__publicField(this, ...)`
 * call per field, which is how esbuild lowers a field to ES2017. The two differ only when a
 * field's name is also an accessor or a frozen/read-only property on the prototype chain,
 * when a subclass redeclares a field its base class sets, or when code asks whether a field
 * that was declared without a value and never assigned exists (`in`, hasOwnProperty, key
 * enumeration). None of that happens in these files (@noble/* 2.4.0, checked one by one):
 * - hash state (`hashes/_md`, `sha2`, `hmac`; `ciphers/_poly1305`): plain fields, no
 *   accessor, no static field, no freeze;
 * - `curves/abstract/edwards`: the point class sets X, Y, Z, T in its constructor before
 *   `Object.freeze(this)`, its accessors are the lower-case `x`, `y`; its statics (BASE, ZERO,
 *   Fp, Fn) go on a fresh class; PrimeEdwardsPoint (static declarations without values) is
 *   not in the bundle;
 * - `curves/abstract/modular`: `_Field` assigns ORDER, BITS, BYTES, isLE in its constructor
 *   (ZERO, ONE as initialisers, before the body, as with define) and then freezes itself; its
 *   frozen prototype holds only methods, none named like a field; `_lengths` and `_mod` are only
 *   read (undefined when absent, as when defined empty);
 * - `curves/abstract/curve`: ScalarMultiplier has no accessor, no subclass and no freeze, and
 *   its one field set later (`baseCanBeBlinded`, a lazy cache) is read as undefined first.
 */
export const NOBLE_ASSIGNED_FIELDS = /[\\/]node_modules[\\/]@noble[\\/](hashes[\\/](_md|sha2|hmac)|ciphers[\\/]_poly1305|curves[\\/]abstract[\\/](edwards|modular|curve))\.js$/;

const nobleFieldsAsAssignments: Plugin = {
  name: 'noble-fields-as-assignments',
  setup(b) {
    // Loaded as TypeScript so that the tsconfigRaw below (useDefineForClassFields: false)
    // applies; the files are plain ES modules, which parse the same as TypeScript.
    b.onLoad({ filter: NOBLE_ASSIGNED_FIELDS }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'ts' }));
  },
};

/**
 * The terser pass over esbuild's minified output: ES2017 in and out, no `unsafe*`
 * transform, top-level names mangled (the file is a CommonJS module: its top level is
 * function-local in WeChat's module wrapper), no comments.
 */
export async function terserPass(code: string): Promise<string> {
  // Loaded on use: scripts that only import this module's constants (bundle-size) stay fast.
  const { minify } = await import('terser');
  const out = await minify(code, {
    ecma: 2017,
    module: false,
    toplevel: true,
    compress: { passes: 2 },
    mangle: { toplevel: true },
    format: { comments: false },
  });
  if (out.code === undefined) throw new Error('terser produced no output');
  return out.code;
}

export interface BundleResult {
  code: string;
  bytes: number;
  /** Input files with their byte counts in the output, largest first. */
  inputs: { path: string; bytes: number }[];
  /** Every file the build read (absolute paths): esbuild's inputs and the terse-errors analysis'. */
  sourceFiles: string[];
}

export interface BuildOptions {
  entry?: string;
  /** Write to this file; omit to build in memory only. */
  outfile?: string;
  /** Keep the free-text detail of E2eeError messages (the SDK bundle drops it by default). */
  verboseErrors?: boolean;
}

/** Serves the rewritten source of every file the terse-errors plan changed. */
function terseErrors(plan: TerseErrorsPlan): Plugin {
  return {
    name: 'terse-errors',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const contents = plan.files.get(resolve(args.path));
        return contents === undefined ? undefined : { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * In the bridge build, `sdk-entry` becomes the external `./sdk.js`; the bridge imports every
 * SDK value through it. Any other module outside the mini program (crypto/, client/) would be
 * a second copy of SDK code, so the build fails naming it.
 */
const sdkAsExternal: Plugin = {
  name: 'sdk-as-external',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const importer = args.importer ? relative(ROOT, args.importer) : '(entry)';
      if (!args.path.startsWith('.')) return { errors: [{ text: `${importer} imports package ${args.path}; the bridge bundles mini program code only` }] };
      const target = resolve(args.resolveDir, args.path);
      if (target === SDK_ENTRY.replace(/\.ts$/, '') || target === SDK_ENTRY) return { path: BRIDGE_REQUIRES_SDK, external: true };
      if (relative(MINIPROGRAM_DIR, target).startsWith('..')) {
        return { errors: [{ text: `${importer} imports ${args.path} directly; the bridge takes SDK values from sdk-entry (lib/sdk.js) only` }] };
      }
      return undefined;
    });
  },
};

export async function buildMiniprogramBundle(options: BuildOptions = {}): Promise<BundleResult> {
  const entry = options.entry ?? SDK_ENTRY;
  const plugins = [forbidNodeBuiltins, nobleFieldsAsAssignments];
  let analysed: string[] = [];
  if (!options.verboseErrors) {
    // Loaded on use: the TypeScript compiler takes a second or two to load.
    const { planTerseErrors } = await import('./terse-errors');
    const plan = planTerseErrors(entry);
    analysed = plan.sources;
    plugins.push(terseErrors(plan));
  }
  const result = await bundle(entry, options.outfile, plugins, []);
  return { ...result, sourceFiles: [...new Set([...result.sourceFiles, ...analysed])].sort() };
}

/** lib/bridge.js: the UI bridge, requiring only `./sdk.js`. */
export async function buildBridgeBundle(options: BuildOptions = {}): Promise<BundleResult> {
  return bundle(options.entry ?? BRIDGE_ENTRY, options.outfile, [forbidNodeBuiltins, sdkAsExternal], [BRIDGE_REQUIRES_SDK]);
}

async function bundle(entry: string, outfile: string | undefined, plugins: Plugin[], allowedRequires: string[]): Promise<BundleResult> {
  const options = { outfile };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'cjs',
    target: 'es2017',
    platform: 'neutral',
    // Neutral platform: no Node resolution defaults; resolve packages by their ESM exports.
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    // Replaces tsconfig.json for the build: our TypeScript and the noble files loaded as
    // TypeScript (NOBLE_ASSIGNED_FIELDS) emit class fields as assignments; alwaysStrict is
    // what tsconfig.json's strict gave (esbuild writes "use strict" for it).
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, alwaysStrict: true } },
    sourcemap: false,
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins,
    ...(options.outfile ? { outfile: options.outfile } : { outdir: join(ROOT, '.bundle-tmp') }),
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  // The banner goes on after terser, so that terser neither renames its `globalThis` nor
  // takes the `"use strict"` after it for anything but what esbuild wrote.
  const { iifesToArrows } = await import('./iife-arrows');
  const code = `${GLOBAL_THIS_BINDING}\n${(await iifesToArrows(await terserPass(out.text))).code}`;
  const leftover = requiresIn(code).filter((spec) => !allowedRequires.includes(spec));
  if (leftover.length) throw new Error(`bundle still requires modules: ${leftover.join(', ')}`);
  if (options.outfile) {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dirname(options.outfile), { recursive: true });
    writeFileSync(options.outfile, code);
  }
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output?.inputs ?? {})
    .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const sourceFiles = Object.keys(result.metafile.inputs).map((p) => resolve(p));
  return { code, bytes: Buffer.byteLength(code), inputs, sourceFiles };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(args: string[]): Promise<void> {
  try {
    const verboseErrors = args.includes('--verbose-errors');
    const result = await buildMiniprogramBundle({ outfile: SDK_BUNDLE, verboseErrors });
    const written = statSync(SDK_BUNDLE).size;
    console.log(`wrote ${relative(ROOT, SDK_BUNDLE)}: ${written} bytes (${kib(written)}) minified, ${verboseErrors ? 'verbose' : 'terse'} error messages`);
    for (const input of result.inputs.slice(0, 8)) console.log(`  ${kib(input.bytes).padStart(10)}  ${input.path}`);
    await buildBridgeBundle({ outfile: BRIDGE_BUNDLE });
    const bridge = statSync(BRIDGE_BUNDLE).size;
    console.log(`wrote ${relative(ROOT, BRIDGE_BUNDLE)}: ${bridge} bytes (${kib(bridge)}) minified, requires ${BRIDGE_REQUIRES_SDK}`);
    console.log('size budgets: npx tsx scripts/bundle-size.ts');
  } catch (error) {
    console.error(`build:miniprogram failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
