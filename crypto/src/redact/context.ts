// Context words: a word for the type near a value raises its score; some types are
// reported only with one. Negative words (order, tracking, verification codes, ...) lower
// the score of digit-only values when no positive word is present. All matching is on
// the folded text, case-insensitive for Latin letters.

import { CONTEXT_AFTER, CONTEXT_BEFORE } from './limits';
import type { EntityType } from './types';

/** Context words per type, '|'-separated (a string is smaller than an array literal in the mini program bundle). */
const WORDS: Partial<Record<EntityType, string>> = {
  CN_ID: '身份证|证件号|身份号|公民身份|居民身份|idcard|id card|身份信息|证件',
  CN_ID15: '身份证|证件号|身份号|老身份证|一代证',
  HK_ID: '香港身份证|身份证|hkid|身份證',
  MO_ID: '澳门身份证|澳門身份證|身份证|bir',
  TW_ID: '台湾身份证|身分證|身份证|台湾',
  BANK_CARD: '卡号|银行卡|账号|帐号|储蓄卡|信用卡|借记卡|开户行|银行|转账|打款|工资卡|收款|card|汇款|卡',
  USCC: '信用代码|税号|纳税人识别号|营业执照|社会信用|机构代码|开票',
  CN_PASSPORT: '护照|passport',
  HK_MO_PERMIT: '港澳通行证|通行证|回乡证|港澳',
  TW_PERMIT: '台胞证|台湾通行证|赴台|通行证|入台证',
  CN_MOBILE: '手机|电话|联系方式|号码|致电|微信同号|tel|mobile|phone|联系|打给|call|热线|短信',
  CN_LANDLINE: '电话|座机|固话|办公室|传真|tel|fax|总机|分机|联系|前台|热线',
  EMAIL: '邮箱|邮件|email|e-mail|mail|发到',
  IPV4: 'ip|服务器|server|host|地址|网关',
  IPV6: 'ip|服务器|server|host|地址|网关',
  PLATE: '车牌|牌照|车号|车',
  QQ: 'qq|扣扣|企鹅',
  WECHAT_ID: '微信|vx|wx|加v|威信|薇信|wechat|v信',
};

/** Words that mark digits as something other than PII (order, tracking and device numbers, codes, amounts). */
const NEGATIVE = (
  '订单|单号|流水|交易号|运单|快递|物流|验证码|校验码|动态码|imei|iccid|meid|序列号|sn|型号|版本|version|金额|价格|发票|工单|编号|时间戳|timestamp|批次|条码|商户号|' +
  '取件码|会议号|会议id|房间号|sim卡|串号|¥|￥'
).split('|');

/** Words grouped by their first UTF-16 unit, so a window is read once instead of once per word. */
type WordIndex = Map<number, string[]>;

function indexWords(words: readonly string[]): WordIndex {
  const index: WordIndex = new Map();
  for (const w of words) {
    const first = w.charCodeAt(0);
    const list = index.get(first);
    if (list) list.push(w);
    else index.set(first, [w]);
  }
  return index;
}

const TYPE_INDEX = new Map<EntityType, WordIndex>(Object.entries(WORDS).map(([t, words]) => [t as EntityType, indexWords(words!.split('|'))]));
const NEGATIVE_INDEX = indexWords(NEGATIVE);

/** Whether some word of `index` (lower case) lies wholly inside [from, to); ASCII letters case-insensitive. No allocation. */
function anyWordIn(folded: string, index: WordIndex, from: number, to: number): boolean {
  for (let p = from; p < to; p++) {
    let c = folded.charCodeAt(p);
    if (c >= 65 && c <= 90) c += 32;
    const list = index.get(c);
    if (!list) continue;
    for (const word of list) {
      const len = word.length;
      if (p + len > to) continue;
      let k = 1;
      for (; k < len; k++) {
        let d = folded.charCodeAt(p + k);
        if (d >= 65 && d <= 90) d += 32;
        if (d !== word.charCodeAt(k)) break;
      }
      if (k === len) return true;
    }
  }
  return false;
}

/** True when a context word for `type` occurs within the window around [start, end). */
export function hasContext(folded: string, type: EntityType, start: number, end: number): boolean {
  const index = TYPE_INDEX.get(type);
  if (!index) return false;
  return (
    anyWordIn(folded, index, Math.max(0, start - CONTEXT_BEFORE), start) ||
    anyWordIn(folded, index, end, Math.min(folded.length, end + CONTEXT_AFTER))
  );
}

/** The bare 8-digit Taiwan permit needs one of these (not the generic 通行证, which also names HK/Macao permits). */
const TW_PERMIT_BARE_INDEX = indexWords(['台胞证', '台湾通行证', '入台证', '台湾居民来往大陆通行证']);

export function hasTaiwanPermitWord(folded: string, start: number, end: number): boolean {
  return (
    anyWordIn(folded, TW_PERMIT_BARE_INDEX, Math.max(0, start - CONTEXT_BEFORE), start) ||
    anyWordIn(folded, TW_PERMIT_BARE_INDEX, end, Math.min(folded.length, end + CONTEXT_AFTER))
  );
}

const AMOUNT_AFTER = /^(?:元|块|万|%|分钟|秒|ms|kb|mb|gb)/i;

/** True when a negative word occurs within the window BEFORE `start` (digit traps). */
export function hasNegativeContext(folded: string, start: number, end: number): boolean {
  if (anyWordIn(folded, NEGATIVE_INDEX, Math.max(0, start - CONTEXT_BEFORE), start)) return true;
  // Inside a URL or a key=value pair: ids, not contact data.
  const prev = folded[start - 1];
  if (prev === '=' || prev === '/' || prev === '_' || prev === '?' || prev === '&') return true;
  // A currency sign or unit right after the digits marks an amount.
  return AMOUNT_AFTER.test(folded.slice(end, end + 2));
}

