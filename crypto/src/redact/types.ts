// Shared types of the PII redactor (docs/REDACTION.md).

/** Every entity type the recognisers report, in priority order for ties (ID > card > phone > ...). */
export const ENTITY_TYPES = [
  'CN_ID',
  'CN_ID15',
  'HK_ID',
  'MO_ID',
  'TW_ID',
  'BANK_CARD',
  'USCC',
  'CN_PASSPORT',
  'HK_MO_PERMIT',
  'TW_PERMIT',
  'CN_MOBILE',
  'CN_LANDLINE',
  'EMAIL',
  'IPV4',
  'IPV6',
  'PLATE',
  'QQ',
  'WECHAT_ID',
  'PERSON',
  'ADDRESS',
  'CUSTOM',
] as const;

export type EntityType = (typeof ENTITY_TYPES)[number];

/** Short Chinese label used in tokens and remove markers, e.g. `[手机号#…]`. */
export const ENTITY_LABELS: Record<EntityType, string> = {
  CN_ID: '身份证',
  CN_ID15: '身份证',
  HK_ID: '香港身份证',
  MO_ID: '澳门身份证',
  TW_ID: '台湾身份证',
  BANK_CARD: '银行卡',
  USCC: '信用代码',
  CN_PASSPORT: '护照',
  HK_MO_PERMIT: '港澳通行证',
  TW_PERMIT: '台湾通行证',
  CN_MOBILE: '手机号',
  CN_LANDLINE: '电话',
  EMAIL: '邮箱',
  IPV4: 'IP',
  IPV6: 'IP',
  PLATE: '车牌',
  QQ: 'QQ',
  WECHAT_ID: '微信号',
  PERSON: '姓名',
  ADDRESS: '地址',
  CUSTOM: '敏感词',
};

export type Action = 'mask' | 'token' | 'remove' | 'allow';
export const ACTIONS: readonly Action[] = ['mask', 'token', 'remove', 'allow'];

/** A recogniser's raw output, before policy and overlap resolution. Offsets are UTF-16 code units. */
export interface Candidate {
  type: EntityType;
  start: number;
  end: number;
  /** 0..1, two decimals. */
  score: number;
  /** Names of the validators that passed, e.g. ['province', 'birth-date', 'mod11-2']. */
  validators: string[];
  /** Whether a context word for this type was found near the value. */
  context: boolean;
  /** Canonical form of the value (folded, separators dropped, upper case): keys tokens and allow/deny lists. */
  normalized: string;
}

export interface Finding {
  type: EntityType;
  /** UTF-16 offsets into the INPUT text (absolute offsets in the streaming form). */
  start: number;
  end: number;
  score: number;
  validators: string[];
  context: boolean;
  action: Action;
  /** What replaced the value in the output (equal to the value when the action is 'allow'). */
  replacement: string;
}

/** token -> original value as written; kept only in the sender's local store. */
export type RestoreMap = Record<string, string>;

export interface RedactionResult {
  text: string;
  findings: Finding[];
  /** Filled only for the 'token' action. Never upload this. */
  restore: RestoreMap;
}
