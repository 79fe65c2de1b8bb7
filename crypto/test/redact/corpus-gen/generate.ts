// Generates the labelled corpus (docs/REDACTION.md "Evaluation"):
//   corpus/generated.jsonl       templates x every format variant, checksum-valid values
//   corpus/handwritten.jsonl     corpus/handwritten.txt with its slots filled and labels as offsets
//   corpus/hard-negatives.jsonl  traps and near misses; nothing in them may be redacted
// Deterministic (seeded). Run: npx tsx crypto/test/redact/corpus-gen/generate.ts [--check]

import { Rng } from './rng';
import { PREFIXES, SUFFIXES, TEMPLATES } from './templates';
import * as V from './values';

export interface Label {
  type: string;
  start: number;
  end: number;
}
export interface Sample {
  text: string;
  entities: Label[];
}

type Gen = (rng: Rng) => string;

export const GENERATORS: Record<string, Gen> = {
  CN_MOBILE: V.mobile,
  CN_ID: V.cnId,
  CN_ID15: V.cnId15,
  BANK_CARD: V.bankCard,
  USCC: V.uscc,
  EMAIL: V.email,
  CN_LANDLINE: V.landline,
  IPV4: V.ipv4,
  IPV6: V.ipv6,
  PLATE: V.plate,
  CN_PASSPORT: V.passport,
  HK_MO_PERMIT: V.hkMoPermit,
  TW_PERMIT: (rng) => V.twPermit(rng).value,
  HK_ID: V.hkId,
  MO_ID: V.moId,
  TW_ID: V.twId,
  QQ: V.qq,
  WECHAT_ID: V.wechatId,
  PERSON: V.person,
  ADDRESS: V.address,
};

/** Builds text from parts; `{type, value}` parts become labels. */
function build(parts: (string | { type: string; value: string })[]): Sample {
  let text = '';
  const entities: Label[] = [];
  for (const p of parts) {
    if (typeof p === 'string') text += p;
    else {
      entities.push({ type: p.type, start: text.length, end: text.length + p.value.length });
      text += p.value;
    }
  }
  return { text, entities };
}

function fill(template: string, type: string, value: string): (string | { type: string; value: string })[] {
  const at = template.indexOf('{}');
  return [template.slice(0, at), { type, value }, template.slice(at + 2)];
}

export function generated(): Sample[] {
  const rng = new Rng(0x5eed0004);
  const out: Sample[] = [];
  for (const [type, set] of Object.entries(TEMPLATES)) {
    const count = ['CN_MOBILE', 'CN_ID', 'BANK_CARD', 'EMAIL', 'USCC'].includes(type) ? 400 : 150;
    for (let i = 0; i < count; i++) {
      const useContext = set.plain.length === 0 || rng.chance(0.5);
      const template = rng.pick(useContext ? set.withContext : set.plain);
      let value = GENERATORS[type]!(rng);
      // The bare 8-digit Taiwan permit form is only recognised with context; plain templates get the L form.
      if (type === 'TW_PERMIT' && !useContext && /^[0-9]+$/.test(value)) value = 'L' + value;
      out.push(build([rng.pick(PREFIXES), ...fill(template, type, value), rng.pick(SUFFIXES)]));
    }
  }
  // Messages with several values side by side.
  for (let i = 0; i < 300; i++) {
    const name = V.person(rng);
    const phone = V.mobile(rng);
    const kind = rng.int(0, 3);
    if (kind === 0) {
      out.push(build(['联系人：', { type: 'PERSON', value: name }, '，电话 ', { type: 'CN_MOBILE', value: phone }, '，身份证号', { type: 'CN_ID', value: V.cnId(rng) }]));
    } else if (kind === 1) {
      out.push(build(['收件人', { type: 'PERSON', value: name }, ' ', { type: 'CN_MOBILE', value: phone }, ' 地址：', { type: 'ADDRESS', value: V.address(rng) }]));
    } else if (kind === 2) {
      out.push(build(['退款打到卡号', { type: 'BANK_CARD', value: V.bankCard(rng) }, '，有问题发邮件到', { type: 'EMAIL', value: V.email(rng) }]));
    } else {
      out.push(build(['两个号码：', { type: 'CN_MOBILE', value: phone }, ' ', { type: 'CN_MOBILE', value: V.mobile(rng) }, '，都可以打']));
    }
  }
  return out;
}

// --- hand-written messages ------------------------------------------------------------------

/**
 * handwritten.txt: one message per line; `{TYPE}` is filled with a generated value,
 * `[[TYPE|value]]` is a literal labelled value; lines starting with # are comments.
 */
export function handwritten(source: string): Sample[] {
  const rng = new Rng(0x4a4d0004);
  const out: Sample[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trimEnd();
    if (!line || line.startsWith('#')) continue;
    const parts: (string | { type: string; value: string })[] = [];
    const re = /\{([A-Z0-9_]+)\}|\[\[([A-Z0-9_]+)\|([^\]]+)\]\]/g;
    let pos = 0;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      parts.push(line.slice(pos, m.index));
      if (m[1]) {
        const gen = GENERATORS[m[1]];
        if (!gen) throw new Error(`handwritten.txt: unknown slot ${m[1]}`);
        let value = gen(rng);
        if (m[1] === 'TW_PERMIT' && /^[0-9]+$/.test(value)) value = 'L' + value;
        parts.push({ type: m[1], value });
      } else parts.push({ type: m[2]!, value: m[3]! });
      pos = m.index + m[0].length;
    }
    parts.push(line.slice(pos));
    out.push(build(parts));
  }
  return out;
}

// --- hard negatives ---------------------------------------------------------------------------

export function hardNegatives(): Sample[] {
  const rng = new Rng(0x0ade0004);
  const out: Sample[] = [];
  const say = (text: string): void => {
    out.push({ text, entities: [] });
  };
  const traps: ((r: Rng) => string)[] = [
    (r) => `订单号：${r.pick(['2023', '2024', '2025'])}${r.digits(r.int(22, 26))}，请尽快发货`,
    (r) => `微信支付交易单号 4200${r.digits(24)}`,
    (r) => `商户单号${r.digits(r.int(20, 32))}已退款`,
    (r) => `淘宝订单 ${r.pick(['1', '2', '3'])}${r.digits(r.int(17, 18))} 还没到`,
    (r) => `IMEI：${V.withLuhn(r.pick(['35', '86', '01', '99']) + r.digits(12))}`,
    (r) => `手机串号 ${V.withLuhn(r.pick(['35', '86']) + r.digits(12))} 保修查一下`,
    (r) => `${V.withLuhn(r.pick(['35', '86']) + r.digits(12))} 是新机的`,
    (r) => `ICCID ${V.withLuhn('8986' + r.digits(14))}`,
    (r) => `SIM卡号 8986${r.digits(16)}`,
    (r) => `时间戳 ${r.int(1500000000, 1900000000)}`,
    (r) => `ts=${r.int(1500000000, 1900000000)}${r.digits(3)}`,
    (r) => `日志里 ${r.int(1600000000, 1800000000)}${r.digits(3)} 那条报错`,
    (r) => `金额¥${r.int(1, 99)},${r.digits(3)}.${r.digits(2)}`,
    (r) => `共计 ${r.int(1, 999)},${r.digits(3)},${r.digits(3)} 元`,
    (r) => `报销 ${r.int(100, 99999)}.${r.digits(2)} 元，发票已交`,
    (r) => `验证码 ${r.digits(6)}，5分钟内有效`,
    (r) => `【某某银行】您的动态码为${r.digits(6)}，请勿泄露`,
    (r) => `取件码 ${r.int(1, 30)}-${r.int(1, 9)}-${r.digits(4)}`,
    (r) => `会议号 ${r.digits(3)} ${r.digits(3)} ${r.digits(3)}`,
    (r) => `腾讯会议：${r.digits(3)}-${r.digits(3)}-${r.digits(3)}`,
    (r) => `${r.int(2019, 2026)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')} 开庭`,
    (r) => `${r.int(2019, 2026)}年${r.int(1, 12)}月${r.int(1, 28)}日下午${r.int(1, 5)}点家长会`,
    (r) => `截止日期 ${r.int(2019, 2026)}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}`,
    (r) => `版本 ${r.int(1, 12)}.${r.int(0, 20)}.${r.int(0, 99)}.${r.int(0, 9999)} 已发布`,
    (r) => `升级到v${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 99)}再试`,
    (r) => `微信 ${r.int(6, 8)}.${r.int(0, 9)}.${r.int(0, 50)} 有这个功能`,
    (r) => `第${r.int(1, 20)}.${r.int(1, 9)}.${r.int(1, 9)}条规定`,
    (r) => `${r.int(8, 22)}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')} 到`,
    (r) => `快递单号 SF${r.digits(13)}`,
    (r) => `运单号：${r.pick(['YT', 'ZTO', 'JD'])}${r.digits(r.int(12, 15))}`,
    (r) => `快递单号 ${r.pick(['7', '4', '3'])}${r.digits(r.int(11, 14))}`,
    (r) => `病历号 ${r.digits(r.int(8, 10))}，床号 ${r.int(1, 60)}`,
    (r) => `案号（${r.int(2019, 2025)}）京0105民初${r.int(1000, 99999)}号`,
    (r) => `学号 ${r.int(2019, 2025)}${r.digits(6)}`,
    (r) => `工号${r.digits(r.int(5, 8))}`,
    (r) => `房间号 ${r.int(1, 30)}${String(r.int(1, 40)).padStart(2, '0')}`,
    (r) => `图片 icon@${r.int(2, 3)}x.png 替换一下`,
    (r) => `@${r.pick(['张老师', '王律师', '所有人', 'Lily'])} 收到`,
    (r) => `比分 ${r.int(0, 120)}-${r.int(0, 120)}`,
    (r) => `温度${r.int(35, 40)}.${r.int(0, 9)}度，血压${r.int(90, 160)}/${r.int(60, 100)}`,
    (r) => `增长${r.int(1, 99)}.${r.int(0, 9)}%，同比${r.int(1, 50)}%`,
    (r) => `电话号码少一位：${r.pick(['138', '139', '186'])}${r.digits(7)}`,
    (r) => `电话号码多一位 ${r.pick(['138', '139', '186'])}${r.digits(9)}`,
    (r) => `编号 ${r.pick(['12', '10', '11'])}${r.digits(9)}`,
    (r) => `${r.digits(3)}-${r.digits(4)}-${r.digits(3)} 这个不是号码`,
    (r) => `货号 ${r.digits(4)}-${r.digits(4)}-${r.digits(4)}-${r.digits(4)}-${r.digits(4)}-${r.digits(4)}-${r.digits(4)}`,
    (r) => `积分 ${r.int(1000, 99999)}，等级 ${r.int(1, 10)}`,
    (r) => `串号：${r.digits(4)} ${r.digits(4)} ${r.digits(4)} ${r.digits(4)} ${r.digits(4)} ${r.digits(4)} ${r.digits(4)}`,
    (r) => `坐标 ${r.int(20, 50)}.${r.digits(6)},${r.int(100, 130)}.${r.digits(6)}`,
    (r) => `型号 ${r.pick(['iPhone', 'Mate', 'RTX', 'Xiaomi'])} ${r.int(10, 4090)}`,
    (r) => `SN：${r.pick(['C02', 'F17', 'DX3'])}${r.digits(9)}`,
    (r) => `sha256 ${Array.from({ length: 8 }, () => r.int(0, 0xffff).toString(16)).join('')}`,
    (r) => `发票号码 ${r.digits(8)}，发票代码 ${r.digits(12)}`,
    (r) => `批次号 ${r.pick(['2023', '2024'])}${r.digits(10)}`,
    (r) => `股票 ${r.pick(['600', '000', '300'])}${r.digits(3)} 涨停`,
    (r) => `航班 ${r.pick(['CA', 'MU', 'CZ'])}${r.int(100, 9999)}，座位 ${r.int(1, 60)}${r.pick(['A', 'C', 'K'])}`,
    (r) => `高铁 G${r.int(1, 9999)} 次 ${r.int(1, 16)} 车 ${r.int(1, 20)}F`,
    (r) => `分数线 ${r.int(400, 700)}，排名 ${r.int(1000, 99999)}`,
    (r) => `${r.int(1, 99)}×${r.int(1, 99)}=${r.int(1, 9999)}`,
    (r) => `邮编 ${r.pick(['100', '200', '510', '518'])}${r.digits(3)}`,
    (r) => `QQ群里说的 ${r.int(2019, 2026)} 年的事`,
    (r) => `微信群 ${r.int(1, 20)} 个人`,
    (r) => `身份证复印件 ${r.int(2, 5)} 份`,
    (r) => `银行卡余额 ${r.int(100, 99999)}.${r.digits(2)}`,
    (r) => `护照照片 ${r.int(2, 6)} 张，尺寸 ${r.int(33, 48)}x${r.int(33, 48)}`,
    (r) => `std::vector<int> 和 ${r.int(1, 9)}::${r.int(1, 9)} 比例`,
    (r) => `MAC ${Array.from({ length: 6 }, () => r.int(0, 255).toString(16).padStart(2, '0')).join(':')}`,
    (r) => `18位的订单号 ${r.pick(['1', '2', '3'])}${r.digits(17)} 查不到`,
    (r) => `${r.pick(['京东', '拼多多'])}订单${r.digits(r.int(12, 20))}`,
    (r) => `尾号${r.digits(4)}的卡`,
    (r) => `手机尾号 ${r.digits(4)}`,
    (r) => `${r.pick(['三', '五', '八'])}年级${r.int(1, 12)}班 ${r.int(20, 50)} 人`,
    (r) => `下载地址 https://example.com/files/${r.digits(10)}.pdf`,
    (r) => `链接 https://item.example.com/item.htm?id=${r.digits(12)}`,
    (r) => `端口 ${r.int(1024, 65535)}，进程 ${r.int(100, 99999)}`,
    (r) => `SIM卡的ICCID是 ${V.withLuhn('8986' + r.digits(14))}`,
    (r) => `流量卡 ${V.withLuhn('89860' + r.digits(13))} 已激活`,
    (r) => `新手机的串号 ${V.withLuhn(r.pick(['35', '86']) + r.digits(12))}，卡槽 2`,
    (r) => `${r.pick(['港澳通行证', '台胞证', '护照', '身份证'])}有效期至${r.int(2026, 2040)}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}`,
  ];
  const plainChat = [
    '明天上午九点开家长会，请准时参加',
    '收到，谢谢老师',
    '律师函已经寄出了，等回复',
    '今天门诊人多，下午再来吧',
    '面试安排在周三下午两点',
    '稿子今晚十点前交',
    '孩子发烧了请假一天',
    '合同第三条需要改一下',
    '体检报告出来了吗',
    '这篇报道先别发',
  ];
  for (let i = 0; i < 3200; i++) {
    if (i % 16 === 15) say(rng.pick(plainChat));
    else say(rng.pick(PREFIXES) + traps[i % traps.length]!(rng) + rng.pick(SUFFIXES));
  }
  // Near misses of real formats.
  for (let i = 0; i < 200; i++) {
    const k = i % 5;
    if (k === 0) say(`这个号 ${V.cnIdBadCheck(rng)} 位数对但校验不对`);
    else if (k === 1) {
      let s = V.withLuhn('6' + rng.digits(14));
      s = s.slice(0, -1) + String((Number(s[15]) + 1) % 10);
      say(`参考号 ${s} 核对`);
    } else if (k === 2) say(`版本号 ${rng.int(1, 9)}.${rng.int(0, 9)}.${rng.int(0, 9)}.${rng.int(0, 9)}`);
    else if (k === 3) say(`${rng.pick(['12', '11', '10'])}${rng.digits(9)} 不是手机号`);
    else say(`${rng.digits(2)}:${rng.digits(2)} 集合，${rng.digits(2)}-${rng.digits(2)} 号楼`);
  }
  return out;
}

export function toJsonl(samples: Sample[]): string {
  return samples.map((s) => JSON.stringify(s)).join('\n') + '\n';
}

async function main(): Promise<void> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'corpus');
  const files: [string, string][] = [
    ['generated.jsonl', toJsonl(generated())],
    ['handwritten.jsonl', toJsonl(handwritten(readFileSync(join(dir, 'handwritten.txt'), 'utf8')))],
    ['hard-negatives.jsonl', toJsonl(hardNegatives())],
  ];
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [name, text] of files) {
    const path = join(dir, name);
    if (check) {
      let old = '';
      try {
        old = readFileSync(path, 'utf8');
      } catch {
        /* missing */
      }
      if (old !== text) {
        console.error(`${name} is stale`);
        stale = true;
      }
    } else writeFileSync(path, text);
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && /corpus-gen[\\/]generate\.ts$/.test(process.argv[1]) && import.meta.url.endsWith('/corpus-gen/generate.ts')) await main();
