import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../../crypto/src/bytes';
import { expectCode } from '../../../crypto/test/expect-code';
import { arbContent } from '../../test/content/arbitraries';
import { compareBytes, decodeContent, encodeContent } from './codec';
import { CONTENT_MALFORMED, CONTENT_TOO_LARGE, CONTENT_UNSUPPORTED } from './errors';
import { MAX_CONTENT_BYTES, MAX_MENTIONS, MAX_TEXT_BYTES } from './limits';
import { toWellFormed } from './text-field';
import type { AttachmentContent, MessageContent, TextContent } from './types';

const ID = new Uint8Array(16).fill(7);
const ALICE = new Uint8Array(32).fill(0xaa);
const BOB = new Uint8Array(32).fill(0xbb);
const T = 1_790_000_000_000;

/** What a decoder must return for `c`: canonical order, well-formed strings. */
function normalize(c: MessageContent): MessageContent {
  const wf = toWellFormed;
  switch (c.type) {
    case 'text': {
      const mentions = [...c.mentions].sort(compareBytes).filter((m, i, a) => i === 0 || compareBytes(a[i - 1]!, m) !== 0);
      const base = { ...c, text: wf(c.text), mentions };
      return c.replyTo ? { ...base, replyTo: { ...c.replyTo, preview: wf(c.replyTo.preview) } } : base;
    }
    case 'image':
    case 'video':
    case 'voice':
    case 'file':
      return { ...c, name: wf(c.name), caption: wf(c.caption) };
    case 'poll-create':
      return { ...c, question: wf(c.question), options: c.options.map(wf) };
    case 'poll-vote':
      return { ...c, choices: [...new Set(c.choices)].sort((a, b) => a - b) };
    case 'qa-ask':
      return { ...c, question: wf(c.question) };
    case 'qa-answer':
      return { ...c, text: wf(c.text) };
    default:
      return c;
  }
}

const text = (over: Partial<TextContent> = {}): TextContent => ({
  type: 'text',
  messageId: ID,
  sentAt: T,
  text: '今晚七点开会 😀',
  mentions: [],
  mentionAll: false,
  ...over,
});

const image = (over: Partial<AttachmentContent> = {}): AttachmentContent => ({
  type: 'image',
  messageId: ID,
  sentAt: T,
  pointer: { kind: 'image', blobId: new Uint8Array([1, 2, 3]), key: new Uint8Array(32).fill(1), digest: new Uint8Array(32).fill(2), size: 1234 },
  mime: 'image/jpeg',
  name: '照片.jpg',
  width: 640,
  height: 480,
  durationMs: 0,
  caption: '',
  ...over,
});

describe('content codec: examples', () => {
  it('round-trips a text with emoji, mentions, @all and a quoted reply', () => {
    const c = text({ mentions: [BOB, ALICE, BOB], mentionAll: true, replyTo: { messageId: ID, sender: BOB, preview: '好的👍' } });
    const back = decodeContent(encodeContent(c)) as TextContent;
    expect(back.text).toBe(c.text);
    expect(back.mentions.map(bytesToHex)).toEqual([bytesToHex(ALICE), bytesToHex(BOB)]);
    expect(back.mentionAll).toBe(true);
    expect(back.replyTo?.preview).toBe('好的👍');
  });

  it('pins the byte layout of a small text (version, type, id, time, flags, form, length)', () => {
    const bytes = encodeContent(text({ text: 'hi', sentAt: 0x0102 }));
    expect(bytesToHex(bytes)).toBe('0101' + '07'.repeat(16) + '0000000000000102' + '00' + '00' + '0002' + '6869' + '0000');
  });

  it('stores Chinese as UTF-16 (2 bytes a character) and ASCII as UTF-8', () => {
    const zh = encodeContent(text({ text: '你好世界' }));
    const en = encodeContent(text({ text: 'abcd' }));
    expect(zh.length).toBe(en.length + 4); // 8 bytes of UTF-16 against 4 of ASCII
    expect(zh[27]).toBe(1); // form byte: UTF-16
    expect(en[27]).toBe(0);
  });

  it('rejects a UTF-16 text that UTF-8 would encode no longer, and a UTF-8 text UTF-16 would shorten', () => {
    const en = encodeContent(text({ text: 'ab' }));
    // 'ab' as UTF-16 is 00 61 00 62 (4 bytes) while its UTF-8 form is 2 bytes.
    const nonCanonical = hexToBytes(bytesToHex(en.slice(0, 27)) + '01' + '0004' + '00610062' + '0000');
    expectCode(() => decodeContent(nonCanonical), CONTENT_MALFORMED);
    // '你好' as UTF-8 is 6 bytes while its UTF-16 form is 4.
    const zhAsUtf8 = hexToBytes(bytesToHex(en.slice(0, 27)) + '00' + '0006' + 'e4bda0e5a5bd' + '0000');
    expectCode(() => decodeContent(zhAsUtf8), CONTENT_MALFORMED);
    // Flipping only the form byte of 'ab' reads U+6162 (UTF-8: 3 bytes > 2): a different, canonical text.
    const flipped = en.slice();
    flipped[27] = 1;
    expect((decodeContent(flipped) as TextContent).text).toBe('\u6162');
  });

  it('round-trips an image with a thumbnail and a file without one', () => {
    const img = image({ thumbnail: new Uint8Array([0xff, 0xd8, 0xff]) });
    expect(decodeContent(encodeContent(img))).toEqual(img);
    const file = image({ type: 'file', pointer: { ...img.pointer, kind: 'file' }, mime: 'application/pdf', name: '合同.pdf', width: 0, height: 0, caption: '请看' });
    expect(decodeContent(encodeContent(file))).toEqual(file);
  });

  it('refuses on encode what the decoder would reject: mismatched kinds, dimensions on files, captions on voice', () => {
    expect(() => encodeContent(image({ type: 'video' }))).toThrow(RangeError);
    expect(() => encodeContent(image({ type: 'file', pointer: { ...image().pointer, kind: 'file' } }))).toThrow(RangeError);
    const voice = image({ type: 'voice', pointer: { ...image().pointer, kind: 'voice' }, width: 0, height: 0, durationMs: 3000, mime: 'audio/aac' });
    expect(decodeContent(encodeContent(voice))).toEqual(voice);
    expect(() => encodeContent({ ...voice, caption: 'x' })).toThrow(RangeError);
    expect(() => encodeContent({ ...voice, thumbnail: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => encodeContent(image({ mime: 'Image/JPEG' }))).toThrow(RangeError);
  });

  it('round-trips every poll and Q&A form', () => {
    const all: MessageContent[] = [
      { type: 'poll-create', messageId: ID, sentAt: T, question: '周末去哪？', options: ['爬山', '看电影', '🏊'], maxChoices: 2 },
      { type: 'poll-vote', messageId: ID, sentAt: T, pollId: ID, choices: [0, 2] },
      { type: 'poll-vote', messageId: ID, sentAt: T, pollId: ID, choices: [] },
      { type: 'poll-close', messageId: ID, sentAt: T, pollId: ID },
      { type: 'qa-ask', messageId: ID, sentAt: T, question: '报销流程是什么？' },
      { type: 'qa-answer', messageId: ID, sentAt: T, questionId: ID, text: '找财务' },
      { type: 'qa-accept', messageId: ID, sentAt: T, questionId: ID, answerId: ID },
      { type: 'recall', messageId: ID, sentAt: T, targetId: ID },
    ];
    for (const c of all) expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it('refuses bad polls on encode', () => {
    const p = { type: 'poll-create', messageId: ID, sentAt: T, question: 'q', options: ['a', 'b'], maxChoices: 1 } as const;
    expect(() => encodeContent({ ...p, options: ['a'] })).toThrow(RangeError);
    expect(() => encodeContent({ ...p, options: ['a', 'a'] })).toThrow(RangeError);
    expect(() => encodeContent({ ...p, maxChoices: 3 })).toThrow(RangeError);
    expect(() => encodeContent({ ...p, question: '' })).toThrow(RangeError);
    expectCode(() => encodeContent({ ...p, options: Array.from({ length: 21 }, (_, i) => `o${i}`) }), CONTENT_TOO_LARGE);
  });

  it('caps sizes with E2E_ERR_CONTENT_TOO_LARGE on encode and MALFORMED on decode', () => {
    expectCode(() => encodeContent(text({ text: 'a'.repeat(MAX_TEXT_BYTES + 1) })), CONTENT_TOO_LARGE);
    // 8192 Chinese characters are 16384 bytes of UTF-16: exactly the cap.
    expect(() => encodeContent(text({ text: '中'.repeat(MAX_TEXT_BYTES / 2) }))).not.toThrow();
    expectCode(() => encodeContent(text({ text: '中'.repeat(MAX_TEXT_BYTES / 2 + 1) })), CONTENT_TOO_LARGE);
    const many = Array.from({ length: MAX_MENTIONS + 1 }, (_, i) => {
      const id = new Uint8Array(32);
      id[0] = i >> 8;
      id[1] = i & 0xff;
      return id;
    });
    expectCode(() => encodeContent(text({ mentions: many })), CONTENT_TOO_LARGE);
    expectCode(() => decodeContent(new Uint8Array(MAX_CONTENT_BYTES + 1)), CONTENT_MALFORMED);
    // A 16 KB text plus 500 mentions (16 KB) fits; the whole is capped by the message layer's limit.
    const full = encodeContent(text({ text: 'a'.repeat(MAX_TEXT_BYTES), mentions: many.slice(0, MAX_MENTIONS) }));
    expect(full.length).toBeLessThanOrEqual(MAX_CONTENT_BYTES);
  });

  it('names caller bugs with TypeError/RangeError', () => {
    expect(() => encodeContent(text({ messageId: new Uint8Array(15) }))).toThrow(RangeError);
    expect(() => encodeContent(text({ sentAt: -1 }))).toThrow(RangeError);
    expect(() => encodeContent(text({ text: '' }))).toThrow(RangeError);
    expect(() => encodeContent(text({ mentions: [new Uint8Array(31)] }))).toThrow(RangeError);
    expect(() => encodeContent({ ...text(), type: 'system' } as unknown as MessageContent)).toThrow(TypeError);
    expect(() => decodeContent('00' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('content codec: hostile input', () => {
  const valid = encodeContent(text({ mentions: [ALICE, BOB], replyTo: { messageId: ID, sender: ALICE, preview: 'x' } }));
  const hex = (s: string) => hexToBytes(s.replace(/\s/g, ''));
  const prefix = (type: number) => '01' + type.toString(16).padStart(2, '0') + '07'.repeat(16) + '0000000000000001';

  it.each([
    ['empty', new Uint8Array(0), 'version'],
    ['version only', hex('01'), 'type'],
    ['no body', hex(prefix(1)), 'flags'],
    ['unknown flag bit', hex(prefix(1) + '04 00 0001 61 0000'), 'flags'],
    ['empty text', hex(prefix(1) + '00 00 0000 0000'), 'text'],
    ['bad text form', hex(prefix(1) + '00 02 0001 61 0000'), 'text form'],
    ['invalid UTF-8', hex(prefix(1) + '00 00 0001 ff 0000'), 'UTF-8'],
    ['overlong UTF-8', hex(prefix(1) + '00 00 0002 c1 81 0000'), 'UTF-8'],
    ['odd UTF-16', hex(prefix(1) + '00 01 0003 4e2d00 0000'), 'UTF-16'],
    ['lone surrogate in UTF-16', hex(prefix(1) + '00 01 0004 d83d 4e2d 0000'), 'UTF-16'],
    ['mentions out of order', hex(prefix(1) + '00 00 0001 61 0002' + 'bb'.repeat(32) + 'aa'.repeat(32)), 'ascending'],
    ['duplicate mentions', hex(prefix(1) + '00 00 0001 61 0002' + 'aa'.repeat(32) + 'aa'.repeat(32)), 'ascending'],
    ['mention count over the cap', hex(prefix(1) + '00 00 0001 61 01f5'), 'mention count'],
    ['reply flag without reply', hex(prefix(1) + '02 00 0001 61 0000'), 'replyTo'],
    ['trailing byte', hex(bytesToHex(valid) + '00'), 'trailing'],
    ['truncated', valid.slice(0, valid.length - 1), 'truncated'],
    ['attachment pointer of another kind', hex(prefix(2) + '00 4b 0102 00' + '01'.repeat(32) + '02'.repeat(32) + '0000000000000001 00 00 0000 0000 0000 00000000 00 0000'), 'does not match'],
    ['dimensions on a file', hex(prefix(5) + '00 4b 0104 00' + '01'.repeat(32) + '02'.repeat(32) + '0000000000000001 00 00 0000 0001 0000 00000000 00 0000'), 'width/height'],
    ['thumbnail on a voice', hex(prefix(4) + '01 4b 0103 00' + '01'.repeat(32) + '02'.repeat(32) + '0000000000000001 00 00 0000 0000 0000 00000000 00 0000 0001 ff'), 'thumbnail'],
    ['empty thumbnail', hex(prefix(2) + '01 4b 0101 00' + '01'.repeat(32) + '02'.repeat(32) + '0000000000000001 00 00 0000 0000 0000 00000000 00 0000 0000'), 'thumbnail'],
    ['upper-case mime', hex(prefix(5) + '00 4b 0104 00' + '01'.repeat(32) + '02'.repeat(32) + '0000000000000001 03 414243 00 0000 0000 0000 00000000 00 0000'), 'mime'],
    ['poll with one option', hex(prefix(6) + '00 0001 71 01 01 00 0001 61'), 'option count'],
    ['poll with duplicate options', hex(prefix(6) + '00 0001 71 01 02 00 0001 61 00 0001 61'), 'distinct'],
    ['poll maxChoices 0', hex(prefix(6) + '00 0001 71 00 02 00 0001 61 00 0001 62'), 'maxChoices'],
    ['poll maxChoices above options', hex(prefix(6) + '00 0001 71 03 02 00 0001 61 00 0001 62'), 'maxChoices'],
    ['vote choices not ascending', hex(prefix(7) + '07'.repeat(16) + '02 01 00'), 'ascending'],
    ['vote choice index 20', hex(prefix(7) + '07'.repeat(16) + '01 14'), 'out of range'],
    ['vote with 21 choices', hex(prefix(7) + '07'.repeat(16) + '15' + '00'.repeat(21)), 'choice count'],
    ['empty answer', hex(prefix(10) + '07'.repeat(16) + '00 0000'), 'answer'],
    ['recall with a short target', hex(prefix(12) + '07'.repeat(15)), 'targetId'],
  ])('rejects %s with E2E_ERR_CONTENT_MALFORMED', (_name, bytes, field) => {
    expectCode(() => decodeContent(bytes), CONTENT_MALFORMED);
    expect(() => decodeContent(bytes)).toThrow(field);
  });

  it('reports an unknown version or type as E2E_ERR_CONTENT_UNSUPPORTED (a newer client), not as malformed', () => {
    expectCode(() => decodeContent(hex('02' + prefix(1).slice(2))), CONTENT_UNSUPPORTED);
    expectCode(() => decodeContent(hex(prefix(13))), CONTENT_UNSUPPORTED);
    expectCode(() => decodeContent(hex(prefix(0))), CONTENT_UNSUPPORTED);
  });

  it('never puts content into an error message', () => {
    const secret = encodeContent(text({ text: '13812345678 秘密' }));
    const broken = secret.slice(0, secret.length - 1);
    try {
      decodeContent(broken);
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toMatch(/1381|秘密/);
    }
  });
});

describe('content codec: properties', () => {
  it('decode(encode(c)) is c, canonicalised', () => {
    fc.assert(
      fc.property(arbContent, (c) => {
        expect(decodeContent(encodeContent(c))).toEqual(normalize(c));
      }),
      { numRuns: 500 },
    );
  });

  it('encoding is canonical: decoding then re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(arbContent, (c) => {
        const bytes = encodeContent(c);
        expect(encodeContent(decodeContent(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('a mutated encoding either decodes to something that re-encodes to the same bytes, or fails with a content code', () => {
    fc.assert(
      fc.property(arbContent, fc.nat(), fc.integer({ min: 1, max: 255 }), (c, at, xor) => {
        const bytes = encodeContent(c);
        const i = at % bytes.length;
        const mutated = bytes.slice();
        mutated[i]! ^= xor;
        checkDecodeOutcome(mutated);
        checkDecodeOutcome(bytes.slice(0, i));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never escape as anything but a content error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 12 }), (junk, type) => {
        checkDecodeOutcome(junk);
        const withHeader = new Uint8Array(junk.length + 2);
        withHeader.set([1, type]);
        withHeader.set(junk, 2);
        checkDecodeOutcome(withHeader);
      }),
      { numRuns: 1000 },
    );
  });
});

function checkDecodeOutcome(bytes: Uint8Array): void {
  let decoded: MessageContent;
  try {
    decoded = decodeContent(bytes);
  } catch (e) {
    expect([CONTENT_MALFORMED, CONTENT_UNSUPPORTED]).toContain((e as { code?: string }).code);
    return;
  }
  expect(encodeContent(decoded)).toEqual(bytes);
}
