// npm run bench:client [-- --quick]  (suite "client-catchup"): a member comes back online
// after missing N messages (10,000; --quick: 1,000) and its SDK fetches, decrypts, verifies
// and indexes them, all on the Node default backend.
//
// Setup: a relay child process (SQLite, default synchronous=FULL, rate limits raised for
// the seeding), a sender device and one reader device per round, all real ChatClients with
// durable stores (fsync on). Each reader joins the group, then goes offline (closed); the
// sender sends N Chinese/mixed text messages. Then, per round, one reader reopens its store
// (not timed: the app is already running) and the clock runs from ChatClient.start() (log
// in, connect, resume) until its messaging layer has stored all N messages in its history
// (decrypted, signature-verified, indexed, persisted). Prints:
//   catch-up       ms           median over rounds, start() -> N messages in the history
//   catch-up-rate  messages/s   N / that time
// Progress goes to stderr; stdout carries only schema lines (docs/BENCH.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import { openNodeDevice, type NodeDevice } from '../../client/cli/node-client';
import { startRelayProcess } from '../../demo/relay-process';
import { emitFigure, median } from '../schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`[client-catchup] ${s}\n`);
/** Relay flags for benchmarks: the per-identity send rate would otherwise pace the seeding. */
export const BENCH_RELAY_FLAGS = ['--send-rate', '1000000', '--claim-rate', '1000000', '--ip-rate', '1000000', '--synchronous', 'FULL'];

const WORDS = (
  '明天 下午 开会 医院 复查 报告 孩子 作业 老师 家长 通知 合同 律师 材料 周末 聚餐 火锅 地铁 快递 ' +
  '天气 下雨 血压 体检 预约 挂号 发票 报销 加班 请假 项目 进度 客户 确认 取消 提醒 谢谢 辛苦 好的'
).split(' ');
const LATIN = ['OK', 'PDF', 'meeting', 'v2', 'wifi', 'APP', 'deadline'];
const TAIL = ['。', '！', '？', '～', ' 😀', ' 👍', ''];

/** Deterministic message texts (xorshift): 4 to 15 words, Chinese with some Latin and emoji. */
export function benchTexts(n: number, seed = 0x1234567): string[] {
  let x = seed >>> 0 || 1;
  const r = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const len = 4 + Math.floor(r() * 12);
    for (let k = 0; k < len; k++) words.push(r() < 0.85 ? pick(WORDS) : ` ${pick(LATIN)} `);
    out.push(words.join('') + pick(TAIL));
  }
  return out;
}

/** Sends `texts` from `device`, `window` sends in flight at a time. */
export async function sendAll(device: NodeDevice, groupId: string, texts: string[], window = 32): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < texts.length) {
      const i = next++;
      await device.messaging.sendText(groupId, texts[i]!);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const n = quick ? 1_000 : 10_000;
  const rounds = quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'wxe2ee-bench-catchup-'));
  const relay = await startRelayProcess(ROOT, join(dir, 'relay'), 60_000, BENCH_RELAY_FLAGS);
  const p = await loadDefaultPrimitives(nodeRandom);
  const fsync = !args.includes('--no-fsync');
  const open = (name: string, start = true) => openNodeDevice({ dataDir: join(dir, name), relayUrl: relay.httpUrl, primitives: p, start, fsync });
  const opened: NodeDevice[] = [];
  try {
    const sender = await open('sender');
    opened.push(sender);
    const groupId = bytesToHex(await sender.client.createGroup({ name: 'catch-up bench' }));
    for (let r = 0; r < rounds; r++) {
      const reader = await open(`reader-${r}`);
      await sender.client.invite(groupId, reader.client.memberIdHex);
      await reader.client.waitForGroup(groupId, 60_000);
      await reader.close();
    }
    log(`${rounds} reader(s) joined and went offline; sending ${n} messages`);
    const s0 = performance.now();
    await sendAll(sender, groupId, benchTexts(n));
    log(`sent ${n} messages in ${(performance.now() - s0).toFixed(0)} ms`);

    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const reader = await open(`reader-${r}`, false);
      opened.push(reader);
      let stored = 0;
      let t0 = 0;
      const all = new Promise<number>((resolveAll, rejectAll) => {
        const timer = setTimeout(() => rejectAll(new Error(`catch-up stalled at ${stored}/${n}`)), 300_000);
        reader.messaging.on('message', (e) => {
          if (e.groupId !== groupId) return;
          if (++stored === n) {
            clearTimeout(timer);
            resolveAll(performance.now() - t0);
          }
        });
      });
      t0 = performance.now();
      await reader.client.start();
      const ms = await all;
      const inHistory = reader.client.history.page(groupId, { limit: 1 }).messages[0]?.seq;
      if (reader.client.history.stats().messages < n) throw new Error('the history does not hold every message');
      log(`round ${r + 1}: ${n} messages caught up in ${ms.toFixed(0)} ms (last seq ${inHistory})`);
      times.push(ms);
      await reader.close();
      opened.pop();
    }
    const params = { messages: n, rounds, backend: p.backend, store: 'node-files', fsync, relay: 'sqlite-child' };
    const ms = median(times);
    emitFigure({ name: 'catch-up', impl: 'ours-node', unit: 'ms', value: ms, params });
    emitFigure({ name: 'catch-up-rate', impl: 'ours-node', unit: 'messages/s', value: (n * 1000) / ms, params });
  } finally {
    for (const d of opened) await d.close().catch(() => undefined);
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
