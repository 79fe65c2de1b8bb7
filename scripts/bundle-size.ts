// npx tsx scripts/bundle-size.ts: the mini program's size budgets.
//
//   crypto + SDK bundle (miniprogram/lib/sdk.js, minified)  <= 250 KB
//   whole main package (what DevTools uploads)               <= 1.5 MB (WeChat's hard cap is 2 MB)
//
// The UI bridge bundle (miniprogram/lib/bridge.js: view-model mapping, wx file helpers,
// startMiniProgram) is mini program code, not crypto + SDK: it is reported on its own line
// and counted in the package.
//
// KB = 1024 bytes, as WeChat counts. The package is every file under miniprogram/ that
// project.config.json's packOptions.ignore does not exclude, with each .ts counted as the
// JavaScript DevTools' TypeScript plugin emits for it. Exits 1 when over a budget.
//
// Options: --bundle <file> (default miniprogram/lib/sdk.js; built in memory when missing),
//          --bridge <file> (default miniprogram/lib/bridge.js; built in memory when missing),
//          --max-bundle-kb <n>, --max-package-kb <n>, --json.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { BRIDGE_BUNDLE, buildBridgeBundle, buildMiniprogramBundle, MINIPROGRAM_DIR, SDK_BUNDLE } from './build-miniprogram';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const KB = 1024;
export const BUNDLE_BUDGET_BYTES = 250 * KB;
export const PACKAGE_BUDGET_BYTES = 1536 * KB;
const SDK_BUNDLE_IN_PACKAGE = 'lib/sdk.js';
const BRIDGE_BUNDLE_IN_PACKAGE = 'lib/bridge.js';

/** Never uploaded, whatever packOptions says. */
const ALWAYS_EXCLUDED = [/^node_modules\//, /^project(\.private)?\.config\.json$/, /(^|\/)\.[^/]+$/];

interface IgnoreRule {
  type: 'folder' | 'file' | 'suffix' | 'prefix' | string;
  value: string;
}

function walk(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path, root));
    else out.push(relative(root, path).split('\\').join('/'));
  }
  return out;
}

function ignored(file: string, rules: IgnoreRule[]): boolean {
  const base = file.split('/').pop()!;
  return rules.some((r) => {
    const value = r.value.replace(/^\.\//, '').replace(/\/$/, '');
    switch (r.type) {
      case 'folder':
        return file === value || file.startsWith(`${value}/`);
      case 'file':
        return file === value;
      case 'suffix':
        return base.endsWith(r.value);
      case 'prefix':
        return base.startsWith(r.value);
      default:
        throw new Error(`packOptions.ignore type "${r.type}" is not understood by this script`);
    }
  });
}

/** Files DevTools would upload in the main package, relative to the mini program root. */
export function packageFiles(root = MINIPROGRAM_DIR): string[] {
  const config = JSON.parse(readFileSync(join(root, 'project.config.json'), 'utf8')) as { packOptions?: { ignore?: IgnoreRule[] } };
  const rules = config.packOptions?.ignore ?? [];
  return walk(root, root)
    .filter((f) => !ALWAYS_EXCLUDED.some((re) => re.test(f)))
    .filter((f) => !ignored(f, rules))
    .sort();
}

/** Bytes a file takes in the package: TypeScript counted as the JavaScript it compiles to. */
function packagedBytes(root: string, file: string): number {
  const path = join(root, file);
  if (!file.endsWith('.ts')) return statSync(path).size;
  const { code } = transformSync(readFileSync(path, 'utf8'), { loader: 'ts', format: 'cjs', target: 'es2017' });
  return Buffer.byteLength(code);
}

export interface SizeReport {
  bundleBytes: number;
  bundleSource: string;
  /** lib/bridge.js (counted in the package, not in the crypto + SDK budget). */
  bridgeBytes: number;
  bridgeSource: string;
  packageBytes: number;
  packageFiles: number;
  budgets: { bundleBytes: number; packageBytes: number };
  overBudget: string[];
}

export async function measureSizes(
  options: { root?: string; bundle?: string; bridge?: string; maxBundleBytes?: number; maxPackageBytes?: number } = {},
): Promise<SizeReport> {
  const root = options.root ?? MINIPROGRAM_DIR;
  const bundlePath = options.bundle ?? SDK_BUNDLE;
  const bridgePath = options.bridge ?? BRIDGE_BUNDLE;
  let bridgeBytes: number;
  let bridgeSource: string;
  if (existsSync(bridgePath)) {
    bridgeBytes = statSync(bridgePath).size;
    bridgeSource = relative(ROOT, bridgePath);
  } else {
    bridgeBytes = (await buildBridgeBundle()).bytes;
    bridgeSource = 'built in memory (run npm run build:miniprogram to write lib/bridge.js)';
  }
  let bundleBytes: number;
  let bundleSource: string;
  if (existsSync(bundlePath)) {
    bundleBytes = statSync(bundlePath).size;
    bundleSource = relative(ROOT, bundlePath);
  } else {
    bundleBytes = (await buildMiniprogramBundle()).bytes;
    bundleSource = 'built in memory (run npm run build:miniprogram to write lib/sdk.js)';
  }
  const files = packageFiles(root).filter((f) => f !== SDK_BUNDLE_IN_PACKAGE && f !== BRIDGE_BUNDLE_IN_PACKAGE);
  let packageBytes = bundleBytes + bridgeBytes;
  for (const f of files) packageBytes += packagedBytes(root, f);
  const budgets = { bundleBytes: options.maxBundleBytes ?? BUNDLE_BUDGET_BYTES, packageBytes: options.maxPackageBytes ?? PACKAGE_BUDGET_BYTES };
  const overBudget: string[] = [];
  if (bundleBytes > budgets.bundleBytes) overBudget.push('bundle');
  if (packageBytes > budgets.packageBytes) overBudget.push('package');
  return { bundleBytes, bundleSource, bridgeBytes, bridgeSource, packageBytes, packageFiles: files.length + 2, budgets, overBudget };
}

function kb(bytes: number): string {
  return `${(bytes / KB).toFixed(1)} KB`;
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function kbArg(args: string[], name: string): number | undefined {
  const raw = argValue(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} expects a positive number of KB, got ${raw}`);
  return Math.floor(n * KB);
}

async function main(args: string[]): Promise<number> {
  const bundle = argValue(args, '--bundle');
  const bridge = argValue(args, '--bridge');
  const report = await measureSizes({
    ...(bundle ? { bundle: resolve(bundle) } : {}),
    ...(bridge ? { bridge: resolve(bridge) } : {}),
    ...(kbArg(args, '--max-bundle-kb') !== undefined ? { maxBundleBytes: kbArg(args, '--max-bundle-kb')! } : {}),
    ...(kbArg(args, '--max-package-kb') !== undefined ? { maxPackageBytes: kbArg(args, '--max-package-kb')! } : {}),
  });
  if (args.includes('--json')) {
    console.log(JSON.stringify(report));
  } else {
    const mark = (over: boolean) => (over ? 'OVER BUDGET' : 'ok');
    console.log(
      `crypto+SDK bundle: ${report.bundleBytes} bytes (${kb(report.bundleBytes)}) minified, budget ${kb(report.budgets.bundleBytes)}: ${mark(report.overBudget.includes('bundle'))}  [${report.bundleSource}]`,
    );
    console.log(`UI bridge bundle: ${report.bridgeBytes} bytes (${kb(report.bridgeBytes)}) minified, requires lib/sdk.js  [${report.bridgeSource}]`);
    console.log(
      `main package: ${report.packageBytes} bytes (${kb(report.packageBytes)}) in ${report.packageFiles} files, budget ${kb(report.budgets.packageBytes)}: ${mark(report.overBudget.includes('package'))}`,
    );
  }
  return report.overBudget.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bundle-size failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    },
  );
}
