// npm run bench:client [-- --quick]: local history search on Node (client/src/history).
//
// Stores N messages (100,000; --quick: 10,000) of deterministic Chinese and mixed
// Chinese/Latin text in 20 groups from 50 senders into a Node file store, closes the store,
// reopens it (cold start: a fresh process state reading the persisted log and index), then
// times a fixed mix of queries. Prints:
//   index-build   messages/s   add() in batches of 1,000 (log append + fsync + tokenize + index)
//   search-open   ms           openNodeStore + openHistory after the close (the cold start)
//   search        ms p95, p50  per query, all groups or one, some with member/type filters
//   search-heap   bytes        JS heap + ArrayBuffers held by the open history (only under node --expose-gc)
//   index-catch-up ms          one add() of 10,000 new messages into the reopened store
//   unread-count-first ms      every group's unread count, asked once after that (all unread)
//   unread-count   ms p50, p99 the same, asked again after each of 200 messages received one by one
// Progress goes to stderr; stdout carries only schema lines (docs/BENCH.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitFigure, median, percentile } from '../schema';
import { openHistory } from '../../client/src/history/history-store';
import type { SearchQuery, StoredMessage } from '../../client/src/history/types';
import { openNodeStore } from '../../client/src/store/node-store';

const WORDS = (
  '医院 医生 复查 明天 今天 下午 上午 开会 会议 报告 项目 进度 客户 合同 老师 作业 孩子 学校 家长 通知 ' +
  '检查 结果 预约 挂号 药房 护士 病房 手术 体检 血压 律师 案件 材料 证据 法院 开庭 委托 费用 发票 报销 ' +
  '工资 考勤 请假 加班 面试 入职 离职 培训 招聘 部门 经理 同事 周末 聚餐 餐厅 火锅 咖啡 奶茶 电影 旅行 ' +
  '机票 酒店 高铁 地铁 快递 包裹 地址 电话 微信 红包 转账 付款 收款 银行 账户 密码 验证 登录 系统 更新 ' +
  '版本 问题 解决 方案 讨论 决定 同意 反对 投票 问答 回复 转发 图片 视频 语音 文件 下载 上传 链接 分享 ' +
  '天气 下雨 晴天 温度 感冒 发烧 咳嗽 休息 睡觉 起床 早饭 午饭 晚饭 水果 蔬菜 超市 商场 打折 优惠 活动 ' +
  '报名 截止 时间 地点 安排 计划 目标 完成 提交 审核 批准 拒绝 修改 确认 取消 提醒 记得 谢谢 辛苦 好的'
).split(' ');
const LATIN = ['meeting', 'report', 'deadline', 'OK', 'PDF', 'Excel', 'zoom', 'review', 'update', 'v2', 'iPhone', 'wifi', 'APP', 'bug', 'release', 'draft'];
const PUNCT = ['，', '。', '！', '？', ' ', '～', '😀', '👍'];
const TYPES: StoredMessage['type'][] = ['text', 'text', 'text', 'text', 'text', 'text', 'image', 'file', 'voice', 'poll', 'qa', 'video'];

/** xorshift32: deterministic, fast; a benchmark corpus needs no cryptographic randomness. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function corpus(n: number): StoredMessage[] {
  const r = rng(0x5eed);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const seqs = new Map<string, number>();
  const t0 = Date.UTC(2026, 0, 1);
  const out: StoredMessage[] = [];
  for (let i = 0; i < n; i++) {
    const groupId = `group-${Math.floor(r() * 20)}`;
    const seq = (seqs.get(groupId) ?? 0) + 1;
    seqs.set(groupId, seq);
    const parts: string[] = [];
    const len = 2 + Math.floor(r() * 8);
    for (let k = 0; k < len; k++) {
      const x = r();
      parts.push(x < 0.7 ? pick(WORDS) : x < 0.8 ? pick(LATIN) : x < 0.9 ? String(Math.floor(r() * 1000)) : pick(PUNCT));
    }
    out.push({
      groupId,
      messageId: `msg-${i}`,
      sender: `member-${Math.floor(r() * 50)}`,
      seq,
      timestamp: t0 + i * 30_000 + Math.floor(r() * 10_000),
      type: pick(TYPES),
      text: parts.join(''),
      mentions: r() < 0.05 ? [`member-${Math.floor(r() * 50)}`] : [],
      mentionAll: r() < 0.01,
    });
  }
  return out;
}

function queries(count: number): SearchQuery[] {
  const r = rng(0xacce55);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const out: SearchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 8;
    let text: string;
    if (kind <= 2) text = pick(WORDS); // 2-character words, the common case
    else if (kind === 3) text = pick(WORDS)[0]!; // a single character
    else if (kind === 4) text = pick(WORDS) + pick(WORDS); // 4 characters: bigram AND + verification
    else if (kind === 5) text = pick(LATIN).slice(0, 3); // Latin prefix
    else if (kind === 6) text = `${pick(WORDS)} ${pick(LATIN)}`; // mixed
    else text = pick(WORDS);
    const q: SearchQuery = { text, limit: 20 };
    if (i % 3 === 1) q.groupId = `group-${Math.floor(r() * 20)}`;
    if (i % 5 === 2) q.filter = { senders: [`member-${Math.floor(r() * 50)}`] };
    if (i % 7 === 3) q.filter = { types: ['text', 'file'] };
    out.push(q);
  }
  return out;
}

/** Stores and indexes the corpus, then closes; nothing of it stays reachable afterwards. */
async function build(path: string, messages: StoredMessage[], batch: number): Promise<number> {
  const store = await openNodeStore(path);
  const history = await openHistory(store);
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i += batch) await history.add(messages.slice(i, i + batch));
  const ms = performance.now() - t0;
  await history.close();
  await store.close();
  return ms;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const n = quick ? 10_000 : 100_000;
  const queryCount = quick ? 80 : 400;
  const rounds = quick ? 1 : 5;
  /** Messages received one by one while the unread counts are asked for after each. */
  const unreadArrivals = quick ? 50 : 200;
  const dir = mkdtempSync(join(tmpdir(), 'wxe2ee-bench-search-'));
  try {
    const batch = 1000;
    const buildMs = await build(join(dir, 'store'), corpus(n), batch);
    process.stderr.write(`client-search: stored and indexed ${n} messages in ${buildMs.toFixed(0)} ms\n`);
    emitFigure({ name: 'index-build', impl: 'ours-node', unit: 'messages/s', value: (n * 1000) / buildMs, params: { messages: n, batch, store: 'node-files', fsync: true } });

    // Cold start: everything in memory is dropped; the reopened instance reads the files.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers; // postings live in ArrayBuffers
    const heapBefore = held();
    const c0 = performance.now();
    const store = await openNodeStore(join(dir, 'store'));
    const history = await openHistory(store);
    const openMs = performance.now() - c0;
    const stats = history.stats();
    if (!stats.loadedSnapshot || stats.messages !== n) throw new Error('cold start did not load the persisted index');
    emitFigure({ name: 'search-open', impl: 'ours-node', unit: 'ms', value: openMs, params: { messages: n, store: 'node-files' } });
    if (gc) {
      // Only with `node --expose-gc`: without a collection the figure would be noise.
      gc();
      emitFigure({ name: 'search-heap', impl: 'ours-node', unit: 'bytes', value: held() - heapBefore, params: { messages: n } });
    }

    const qs = queries(queryCount);
    const p95s: number[] = [];
    const p50s: number[] = [];
    let hits = 0;
    for (let round = 0; round < rounds; round++) {
      const times: number[] = [];
      for (const q of qs) {
        const s = performance.now();
        const r = history.search(q);
        times.push(performance.now() - s);
        if (round === 0) hits += r.total;
      }
      p95s.push(percentile(times, 0.95));
      p50s.push(percentile(times, 0.5));
    }
    process.stderr.write(`client-search: ${queryCount} queries x ${rounds} rounds, ${hits} matches in round 1, open ${openMs.toFixed(0)} ms\n`);
    const params = { messages: n, queries: queryCount, rounds, coldStart: true, store: 'node-files' };
    emitFigure({ name: 'search', impl: 'ours-node', unit: 'ms', value: median(p95s), params: { ...params, percentile: 'p95' } });
    emitFigure({ name: 'search', impl: 'ours-node', unit: 'ms', value: median(p50s), params: { ...params, percentile: 'p50' } });

    // Catch-up: 10,000 new messages in one add() (the SDK's batch after decrypting a catch-up)
    // into the reopened, populated store. Must leave room in the 3 s catch-up budget.
    const more = corpus(n + 10_000).slice(n);
    const k0 = performance.now();
    await history.add(more);
    const catchUpMs = performance.now() - k0;
    emitFigure({ name: 'index-catch-up', impl: 'ours-node', unit: 'ms', value: catchUpMs, params: { messages: more.length, stored: n, store: 'node-files', fsync: true } });

    // Unread counts as the chat list asks for them after each received message: every
    // group's count (the total badge), with nothing read yet. The first ask walks every
    // stored message (what each ask cost before the counts were kept); after a message
    // arrives only the new message is counted.
    const self = 'member-0';
    const groupIds = Array.from({ length: 20 }, (_, g) => `group-${g}`);
    const countAll = () => groupIds.reduce((t, g) => t + history.unreadCounts(g, 0, self).unread, 0);
    const u0 = performance.now();
    let unread = countAll();
    const firstMs = performance.now() - u0;
    const everything = corpus(n + 10_000 + unreadArrivals);
    const arrivals = everything.slice(n + 10_000);
    const askMs: number[] = [];
    for (const m of arrivals) {
      await history.add([m]);
      const a0 = performance.now();
      unread = countAll();
      askMs.push(performance.now() - a0);
    }
    if (unread !== everything.filter((m) => m.sender !== self).length) throw new Error('the unread total does not match the stored messages');
    const unreadParams = { stored: everything.length, groups: groupIds.length, store: 'node-files' };
    emitFigure({ name: 'unread-count-first', impl: 'ours-node', unit: 'ms', value: firstMs, params: unreadParams });
    emitFigure({ name: 'unread-count', impl: 'ours-node', unit: 'ms', value: percentile(askMs, 0.5), params: { ...unreadParams, arrivals: arrivals.length, percentile: 'p50' } });
    emitFigure({ name: 'unread-count', impl: 'ours-node', unit: 'ms', value: percentile(askMs, 0.99), params: { ...unreadParams, arrivals: arrivals.length, percentile: 'p99' } });
    await history.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npm run bench:client` goes through bench/run.ts; running this file directly works too.
if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
