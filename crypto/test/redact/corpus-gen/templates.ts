// Chat-like templates for the generated part of the corpus. `{}` marks the value.
// `withContext` templates carry a context word for the type; `plain` ones do not.

export interface TemplateSet {
  withContext: string[];
  plain: string[];
}

export const TEMPLATES: Record<string, TemplateSet> = {
  CN_MOBILE: {
    withContext: ['我手机号是{}，有事打我', '联系电话：{}', '麻烦留个电话 {} 谢谢', '孩子爸爸的手机{}，晚上也可以打', '有问题致电{}（王老师）', '快递员电话{}，到了会联系你', '手机：{} 微信同号'],
    plain: ['{} 这个号码你存一下', '打这个 {} 就行', '收到，{}', '家长群新加的是{}吧？', '我换号了，新的是{}', '{}，晚上八点后别打'],
  },
  CN_ID: {
    withContext: ['身份证号：{}', '报名需要身份证号码，我的是{}', '患者身份证 {}，请核对', '证件号{}，住宿登记用', '入职材料：身份证号 {}'],
    plain: ['帮我填一下 {} 这个', '{} 这是我家孩子的', '登记表上写的是{}，对吗', '号码是{}，别发群里'],
  },
  CN_ID15: {
    withContext: ['老身份证号是{}，一代证还没换', '他的身份证是15位的：{}', '证件号 {}（老证）'],
    plain: [],
  },
  BANK_CARD: {
    withContext: ['工资卡号：{}', '转账到这个银行卡 {}，户名张三', '我的储蓄卡{}，开户行招商银行', '学费打款账号 {}', '报销请打到卡号{}'],
    plain: ['{} 就是这个', '你核对下 {} 是不是这个', '用{}付的', '押金退到{}吧'],
  },
  USCC: {
    withContext: ['开票信息：统一社会信用代码 {}', '税号{}，抬头写公司全称', '营业执照上的信用代码是{}'],
    plain: ['公司代码 {} 你核对一下', '{} 这个是我们所的'],
  },
  EMAIL: {
    withContext: ['简历发我邮箱 {} 就行', '邮件请抄送{}', '我的email是{}', '材料发到{}，谢谢'],
    plain: ['{} 收到了吗', '联系 {} 就可以', '{}，有事找他'],
  },
  CN_LANDLINE: {
    withContext: ['办公室电话{}', '座机：{}，工作日找我', '前台电话 {}', '传真号{}', '科室电话是{}'],
    plain: ['打{}找李主任', '{} 这个是律所的', '挂号打{}'],
  },
  IPV4: {
    withContext: ['服务器IP是{}，别外传', '网关地址{}', '登录 host {} 看看'],
    plain: ['ping一下{}', '连{}那台机器'],
  },
  IPV6: {
    withContext: ['服务器的IPv6地址是{}', 'IP: {}'],
    plain: ['ping {} 通不通', '连{}试试'],
  },
  PLATE: {
    withContext: ['车牌号{}，在B2停车场', '接孩子的车是{}，白色', '车牌：{}'],
    plain: ['{} 挡住我车了', '{}是谁家的'],
  },
  CN_PASSPORT: {
    withContext: ['护照号：{}', '我的护照{}，订机票用', 'passport {}'],
    plain: ['签证材料里填{}', '{} 这个号码'],
  },
  HK_MO_PERMIT: {
    withContext: ['港澳通行证号码{}', '回乡证：{}', '通行证{}下个月到期'],
    plain: ['{} 是我的证件', '填{}就好'],
  },
  TW_PERMIT: {
    withContext: ['台胞证号码{}', '台湾通行证 {}', '他的台胞证是{}'],
    plain: [],
  },
  HK_ID: {
    withContext: ['香港身份证{}', 'HKID: {}'],
    plain: ['证件号码 {} 核对一下', '{} 这个'],
  },
  MO_ID: {
    withContext: ['澳门身份证{}', 'BIR {}'],
    plain: ['证件{}'],
  },
  TW_ID: {
    withContext: ['台湾身份证字号{}', '身份证：{}（台湾）'],
    plain: ['{} 这个字号'],
  },
  QQ: {
    withContext: ['我QQ是{}', 'QQ：{}，加我发文件', '扣扣{}', '有事加qq {}'],
    plain: [],
  },
  WECHAT_ID: {
    withContext: ['微信号：{}', '加我微信 {}', '加v {}，备注家长', 'vx：{}'],
    plain: [],
  },
  PERSON: {
    withContext: ['联系人：{}', '姓名：{}', '收件人{}，电话后面发', '患者{}，床号12', '我叫{}，是三班家长'],
    plain: [],
  },
  ADDRESS: {
    withContext: ['地址：{}', '寄到{}', '家住{}', '收货地址：{}'],
    plain: [],
  },
};

export const PREFIXES = ['', '', '', '好的，', '各位家长好，', '@王律师 ', '[图片] ', '收到！', '嗯嗯 ', '麻烦了，', '刚才说的，', 'OK，'];
export const SUFFIXES = ['', '', '', '。', '，谢谢！', ' 🙏', '～', '，别外传哈', '！', ' [抱拳]', '，急'];
