// fast-check generators of valid message content, shared by the content tests.
import fc from 'fast-check';
import type { AttachmentKind } from '../../../crypto/src/wire/attachment';
import type { MessageContent } from '../../src/content/types';

const id16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sentAt = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
/** Mixed scripts: ASCII, Chinese, emoji (surrogate pairs), and the odd lone surrogate. */
const char = fc.oneof(
  fc.constantFrom('a', 'Z', ' ', '@', '\n', '0'),
  fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('😀', '👍🏽', '🇨🇳', 'é', 'ß', '\u0000'),
);
const text = (min: number, max: number) => fc.array(char, { minLength: min, maxLength: max }).map((a) => a.join(''));
const head = fc.record({ messageId: id16, sentAt });

const pointer = (kind: AttachmentKind) =>
  fc.record({
    kind: fc.constant(kind),
    blobId: fc.uint8Array({ minLength: 0, maxLength: 64 }),
    key: id32,
    digest: id32,
    size: fc.integer({ min: 0, max: 2 * 1024 * 1024 }),
  });

const attachment = fc.constantFrom('image', 'video', 'voice', 'file' as const).chain((type) => {
  const visual = type === 'image' || type === 'video';
  const timed = type === 'video' || type === 'voice';
  return fc.record({
    type: fc.constant(type),
    messageId: id16,
    sentAt,
    pointer: pointer(type),
    mime: fc.constantFrom('', 'image/jpeg', 'video/mp4', 'audio/aac', 'application/pdf'),
    name: text(0, 20),
    width: visual ? fc.integer({ min: 0, max: 65535 }) : fc.constant(0),
    height: visual ? fc.integer({ min: 0, max: 65535 }) : fc.constant(0),
    durationMs: timed ? fc.integer({ min: 0, max: 86_400_000 }) : fc.constant(0),
    caption: type === 'voice' ? fc.constant('') : text(0, 20),
    thumbnail: visual ? fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }) : fc.constant(undefined),
  });
});

export const arbContent: fc.Arbitrary<MessageContent> = fc.oneof(
  fc
    .record({
      messageId: id16,
      sentAt,
      text: text(1, 40),
      mentions: fc.array(id32, { maxLength: 5 }),
      mentionAll: fc.boolean(),
      replyTo: fc.option(fc.record({ messageId: id16, sender: id32, preview: text(0, 20) }), { nil: undefined }),
    })
    .map((c) => ({ type: 'text' as const, ...c })),
  attachment.map((a) => {
    const { thumbnail, ...rest } = a;
    return (thumbnail === undefined ? rest : { ...rest, thumbnail }) as MessageContent;
  }),
  fc
    .uniqueArray(text(1, 10), { minLength: 2, maxLength: 20 })
    .chain((options) =>
      fc.record({ h: head, question: text(1, 30), maxChoices: fc.integer({ min: 1, max: options.length }) }).map(
        ({ h, question, maxChoices }) => ({ type: 'poll-create' as const, ...h, question, options, maxChoices }),
      ),
    ),
  fc
    .record({ h: head, pollId: id16, choices: fc.uniqueArray(fc.integer({ min: 0, max: 19 }), { maxLength: 20 }) })
    .map(({ h, pollId, choices }) => ({ type: 'poll-vote' as const, ...h, pollId, choices })),
  fc.record({ h: head, pollId: id16 }).map(({ h, pollId }) => ({ type: 'poll-close' as const, ...h, pollId })),
  fc.record({ h: head, question: text(1, 30) }).map(({ h, question }) => ({ type: 'qa-ask' as const, ...h, question })),
  fc.record({ h: head, questionId: id16, text: text(1, 30) }).map(({ h, ...r }) => ({ type: 'qa-answer' as const, ...h, ...r })),
  fc.record({ h: head, questionId: id16, answerId: id16 }).map(({ h, ...r }) => ({ type: 'qa-accept' as const, ...h, ...r })),
  fc.record({ h: head, targetId: id16 }).map(({ h, targetId }) => ({ type: 'recall' as const, ...h, targetId })),
);
