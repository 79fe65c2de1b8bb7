// What can be checked without WeChat DevTools: the project and app configuration are
// complete and consistent, every page listed exists as a Component() page with all four
// files, every template compiles with the official compiler (wcc) and every style sheet
// with wcsc, and the UI speaks Chinese.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectCopy, loadSimulate, makeCompilerExecutable, MINIPROGRAM_ROOT, packageFiles } from './page-harness';

const require = createRequire(import.meta.url);
const readJson = (file: string) => JSON.parse(readFileSync(join(MINIPROGRAM_ROOT, file), 'utf8')) as Record<string, unknown>;
const CJK = /[\u4e00-\u9fff]/;

const projectConfig = readJson('project.config.json') as {
  appid: string;
  compileType: string;
  miniprogramRoot: string;
  libVersion: string;
  setting: { useCompilerPlugins: string[] };
  packOptions: { ignore: { type: string; value: string }[] };
};
const appJson = readJson('app.json') as { pages: string[]; window: { navigationBarTitleText: string }; sitemapLocation: string };

function versionAtLeast(version: string, floor: string): boolean {
  const a = version.split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

describe('project.config.json and app.json', () => {
  it('is a TypeScript mini program rooted here, tourist appid, base library >= 2.15.0', () => {
    expect(projectConfig.appid).toBe('touristappid');
    expect(projectConfig.compileType).toBe('miniprogram');
    expect(projectConfig.setting.useCompilerPlugins).toContain('typescript');
    expect(existsSync(join(MINIPROGRAM_ROOT, projectConfig.miniprogramRoot, 'app.json'))).toBe(true);
    expect(versionAtLeast(projectConfig.libVersion, '2.15.0')).toBe(true);
    expect(versionAtLeast('2.14.9', '2.15.0')).toBe(false); // the check itself can fail
  });

  it('keeps test, build-input and typing files out of the uploaded package', () => {
    const ignored = projectConfig.packOptions.ignore.map((i) => `${i.type}:${i.value}`);
    for (const entry of ['folder:test', 'file:sdk-entry.ts', 'suffix:.test.ts']) expect(ignored).toContain(entry);
    const files = packageFiles();
    expect(files.some((f) => f.startsWith('test/') || f === 'sdk-entry.ts' || f.endsWith('.test.ts'))).toBe(false);
    expect(files).toContain('app.ts');
  });

  it('lists every page folder, and every listed page is a Component() page with .ts, .wxml, .wxss and .json', () => {
    const folders = readdirSync(join(MINIPROGRAM_ROOT, 'pages')).map((d) => `pages/${d}/index`);
    expect([...appJson.pages].sort()).toEqual(folders.sort());
    expect(appJson.pages[0]).toBe('pages/chat-list/index');
    for (const page of appJson.pages) {
      for (const ext of ['ts', 'wxml', 'wxss', 'json']) expect(existsSync(join(MINIPROGRAM_ROOT, `${page}.${ext}`)), `${page}.${ext}`).toBe(true);
      const source = readFileSync(join(MINIPROGRAM_ROOT, `${page}.ts`), 'utf8');
      expect(source, page).toMatch(/^Component\(\{/m);
      expect(source, page).not.toMatch(/\bPage\(\{/);
      expect(source, `${page} calls setData directly`).not.toMatch(/this\.setData\(/);
      const json = readJson(`${page}.json`) as { navigationBarTitleText?: string; usingComponents?: object };
      expect(json.usingComponents, page).toBeTypeOf('object');
      expect(json.navigationBarTitleText, page).toMatch(CJK);
      expect(readFileSync(join(MINIPROGRAM_ROOT, `${page}.wxml`), 'utf8'), page).toMatch(CJK);
    }
    expect(appJson.window.navigationBarTitleText).toMatch(CJK);
    expect(existsSync(join(MINIPROGRAM_ROOT, appJson.sitemapLocation))).toBe(true);
    expect(existsSync(join(MINIPROGRAM_ROOT, 'app.ts'))).toBe(true);
  });

  it('pages import nothing from the SDK bundle or the crypto core (they render view models only)', () => {
    for (const page of appJson.pages) {
      const source = readFileSync(join(MINIPROGRAM_ROOT, `${page}.ts`), 'utf8');
      const imports = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) expect(spec, page).toMatch(/^\.\.\/\.\.\/lib\/(store|connect|present|view-model|intents|config)$/);
    }
  });
});

describe('dependency direction (miniprogram -> client -> crypto)', () => {
  const sources = (dir: string): string[] =>
    !existsSync(join(MINIPROGRAM_ROOT, dir)) ? [] : readdirSync(join(MINIPROGRAM_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [`${dir}/${e.name}`] : [],
    );
  const importsOf = (file: string) => [...readFileSync(join(MINIPROGRAM_ROOT, file), 'utf8').matchAll(/from\s+'([^']+)'|require\('([^']+)'\)/g)].map((m) => (m[1] ?? m[2])!);

  const packaged = new Set(packageFiles());
  /** Build inputs of lib/sdk.js and lib/bridge.js: the two entries and every other source packOptions.ignore leaves out (bridge/, lib/wx-platform.ts). */
  const bundleInputs = () => ['sdk-entry.ts', 'bridge-entry.ts', ...sources('lib'), ...sources('bridge')].filter((f) => !packaged.has(f));

  it('packaged app, lib and page files import only the mini program itself (and lib/bridge.js at run time)', () => {
    const files = ['app.ts', ...sources('lib'), ...sources('pages')].filter((f) => packaged.has(f));
    expect(files.length).toBeGreaterThan(10);
    const outside = (file: string, spec: string) => !spec.startsWith('.') || relative(MINIPROGRAM_ROOT, resolve(MINIPROGRAM_ROOT, dirname(file), spec)).startsWith('..');
    const bad = files.flatMap((f) => importsOf(f).filter((spec) => outside(f, spec)).map((spec) => `${f} -> ${spec}`));
    expect(outside('lib/x.ts', '../../crypto/src/bytes')).toBe(true); // the check itself can fail
    expect(outside('pages/a/index.ts', '../../lib/store')).toBe(false);
    expect(bad).toEqual([]);
  });

  it('bundle inputs are left out of the package, and no packaged file imports one', () => {
    const inputs = bundleInputs();
    expect(inputs).toContain('lib/wx-platform.ts');
    for (const f of inputs) expect(packaged.has(f), f).toBe(false);
    const pageFiles = ['app.ts', ...sources('lib'), ...sources('pages')].filter((f) => packaged.has(f));
    const reachesInput = pageFiles.flatMap((f) =>
      importsOf(f)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => relative(MINIPROGRAM_ROOT, resolve(MINIPROGRAM_ROOT, dirname(f), spec)) + '.ts')
        .filter((target) => inputs.includes(target))
        .map((target) => `${f} -> ${target}`),
    );
    expect(reachesInput).toEqual([]);
  });

  it('the bundle inputs reach client/, crypto/ and each other only, never relay/', () => {
    const specs = importsOf('sdk-entry.ts');
    expect(specs.some((s) => s.startsWith('../crypto/src/'))).toBe(true);
    for (const file of bundleInputs()) {
      for (const spec of importsOf(file)) {
        const target = relative(MINIPROGRAM_ROOT, resolve(MINIPROGRAM_ROOT, dirname(file), spec));
        expect(/^\.\.\/(crypto|client)\/src\//.test(target) || !target.startsWith('..'), `${file} -> ${spec}`).toBe(true);
      }
    }
  });
});

describe('the official template and style compilers', () => {
  let copy: ReturnType<typeof compileProjectCopy>;
  beforeAll(() => {
    makeCompilerExecutable();
    loadSimulate(); // the compiled templates expect jsdom's window and navigator
    copy = compileProjectCopy();
  });
  afterAll(() => copy.dispose());

  it('compiles every page template with wcc, and each page resolves to a render function', () => {
    const compiler = require('miniprogram-compiler') as { wxmlToJs(root: string): string };
    const gwx = new Function(compiler.wxmlToJs(copy.root))() as (path: string) => unknown;
    for (const page of appJson.pages) expect(typeof gwx(`${page}.wxml`), page).toBe('function');
    expect(typeof gwx('pages/not-a-page/index.wxml')).not.toBe('function');
  });

  it('rejects a broken template (the compile check can fail)', () => {
    const compiler = require('miniprogram-compiler') as { wxmlToJs(root: string, options: { wxmlList: string[] }): string };
    const broken = compileProjectCopy();
    try {
      const file = join(broken.root, 'pages/chat/index.wxml');
      require('node:fs').writeFileSync(file, '<view wx:if="{{a}}"><text>未闭合</view>');
      expect(() => compiler.wxmlToJs(broken.root, { wxmlList: ['pages/chat/index.wxml'] })).toThrow(/编译 \.wxml 文件错误/);
    } finally {
      broken.dispose();
    }
  });

  it('compiles every style sheet with wcsc', () => {
    const compiler = require('miniprogram-compiler') as { wxssToJs(root: string): string };
    const css = new Function(compiler.wxssToJs(copy.root))() as (path: string) => unknown;
    for (const page of appJson.pages) expect(css(`${page}.wxss`), page).toBeDefined();
    expect(css('app.wxss')).toBeDefined();
  });
});
