import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import type { Role } from '../../../crypto/src/wire/log-entry';
import { MAX_ANSWERS_PER_QUESTION, RECALL_WINDOW_MS } from './limits';
import { createMessageId, messageIdTime } from './message-id';
import { applyPollClose, applyPollVote, createPollState, tallyPoll, type PollState } from './poll';
import { applyAccept, applyAnswer, createQuestionState, removeAnswer } from './qa';
import { checkRecall, type RecallRequest } from './recall';
import type { ContentType, PollCreateContent } from './types';

const member = (n: number) => new Uint8Array(32).fill(n);
const msg = (n: number) => new Uint8Array(16).fill(n);
const OWNER = member(1);
const ADMIN = member(2);
const ALICE = member(3);
const BOB = member(4);

const poll = (maxChoices = 1): PollCreateContent => ({
  type: 'poll-create',
  messageId: msg(9),
  sentAt: 0,
  question: '午饭吃什么',
  options: ['面', '饭', '饺子'],
  maxChoices,
});

function ok<S>(r: { ok: true; state: S } | { ok: false; reason: string }): S {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  return r.state;
}

describe('poll tally', () => {
  it('counts one ballot per member; a later vote replaces the earlier; an empty vote withdraws', () => {
    let s = createPollState(ALICE, poll());
    s = ok(applyPollVote(s, ALICE, [0]));
    s = ok(applyPollVote(s, BOB, [1]));
    s = ok(applyPollVote(s, ALICE, [2]));
    expect(tallyPoll(s)).toEqual({ counts: [0, 1, 1], voters: 2, closed: false });
    s = ok(applyPollVote(s, BOB, []));
    expect(tallyPoll(s)).toEqual({ counts: [0, 0, 1], voters: 1, closed: false });
  });

  it('rejects choices beyond the options or beyond maxChoices, and unordered or repeated ones', () => {
    const s = createPollState(ALICE, poll(2));
    expect(applyPollVote(s, BOB, [3])).toEqual({ ok: false, reason: 'bad-choice' });
    expect(applyPollVote(s, BOB, [0, 1, 2])).toEqual({ ok: false, reason: 'bad-choice' });
    expect(applyPollVote(s, BOB, [1, 0])).toEqual({ ok: false, reason: 'bad-choice' });
    expect(applyPollVote(s, BOB, [1, 1])).toEqual({ ok: false, reason: 'bad-choice' });
    expect(tallyPoll(ok(applyPollVote(s, BOB, [0, 2]))).counts).toEqual([1, 0, 1]);
  });

  it('lets the creator, the owner or an admin close, and nothing counts after', () => {
    const s = createPollState(ALICE, poll());
    expect(applyPollClose(s, BOB, 'member')).toEqual({ ok: false, reason: 'not-allowed' });
    for (const [who, role] of [[ALICE, 'member'], [OWNER, 'owner'], [ADMIN, 'admin']] as const) {
      const closed = ok(applyPollClose(s, who, role));
      expect(closed.closedBy).toBe(bytesToHex(who));
      expect(applyPollVote(closed, BOB, [0])).toEqual({ ok: false, reason: 'poll-closed' });
      expect(applyPollClose(closed, OWNER, 'owner')).toEqual({ ok: false, reason: 'poll-closed' });
      expect(tallyPoll(closed).closed).toBe(true);
    }
  });

  it('the tally equals the last ballot of each voter, whatever the sequence (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })), { maxLength: 40 }),
        (ballots) => {
          let s: PollState = createPollState(ALICE, poll(2));
          const last = new Map<number, number[]>();
          for (const [voter, raw] of ballots) {
            const choices = [...raw].sort((a, b) => a - b);
            const r = applyPollVote(s, member(10 + voter), choices);
            const valid = choices.length <= 2 && choices.every((c) => c < 3);
            expect(r.ok).toBe(valid);
            if (r.ok) {
              s = r.state;
              if (choices.length) last.set(voter, choices);
              else last.delete(voter);
            }
          }
          const counts = [0, 0, 0];
          for (const c of last.values()) for (const x of c) counts[x]!++;
          expect(tallyPoll(s)).toEqual({ counts, voters: last.size, closed: false });
        },
      ),
    );
  });

  it('state is plain data that survives JSON', () => {
    const s = ok(applyPollVote(createPollState(ALICE, poll()), BOB, [1]));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('Q&A', () => {
  const ask = { type: 'qa-ask', messageId: msg(5), sentAt: 0, question: '怎么报销？' } as const;

  it('collects answers in order; the asker accepts one and may change it; others may not', () => {
    let q = createQuestionState(ALICE, ask);
    q = ok(applyAnswer(q, BOB, msg(6), '找财务', 1));
    q = ok(applyAnswer(q, OWNER, msg(7), '走 OA', 2));
    expect(q.answers.map((a) => a.text)).toEqual(['找财务', '走 OA']);
    expect(applyAccept(q, BOB, msg(6))).toEqual({ ok: false, reason: 'not-allowed' });
    expect(applyAccept(q, ALICE, msg(8))).toEqual({ ok: false, reason: 'unknown-answer' });
    q = ok(applyAccept(q, ALICE, msg(6)));
    expect(q.accepted).toBe(bytesToHex(msg(6)));
    q = ok(applyAccept(q, ALICE, msg(7)));
    expect(q.accepted).toBe(bytesToHex(msg(7)));
  });

  it('drops a repeated answer ID and answers beyond the cap', () => {
    let q = createQuestionState(ALICE, ask);
    q = ok(applyAnswer(q, BOB, msg(6), 'a', 1));
    expect(applyAnswer(q, BOB, msg(6), 'b', 2)).toEqual({ ok: false, reason: 'duplicate' });
    for (let i = 1; i < MAX_ANSWERS_PER_QUESTION; i++) {
      const id = new Uint8Array(16);
      id[0] = 0x80 | (i >> 8);
      id[1] = i & 0xff;
      q = ok(applyAnswer(q, BOB, id, 'x', i));
    }
    expect(q.answers).toHaveLength(MAX_ANSWERS_PER_QUESTION);
    expect(applyAnswer(q, BOB, msg(99), 'one more', 0)).toEqual({ ok: false, reason: 'too-many-answers' });
  });

  it('a recalled answer leaves the list and the acceptance', () => {
    let q = createQuestionState(ALICE, ask);
    q = ok(applyAnswer(q, BOB, msg(6), 'a', 1));
    q = ok(applyAccept(q, ALICE, msg(6)));
    q = removeAnswer(q, msg(6));
    expect(q.answers).toEqual([]);
    expect(q.accepted).toBeNull();
    expect(removeAnswer(q, msg(6))).toBe(q);
  });
});

describe('recall rule', () => {
  const req = (over: Partial<RecallRequest> & { targetSender?: Uint8Array; targetRole?: Role | undefined; type?: ContentType; dt?: number } = {}): RecallRequest => ({
    recaller: over.recaller ?? ALICE,
    recallerRole: 'recallerRole' in over ? over.recallerRole : 'member',
    recallReceivedAt: 1_000_000 + (over.dt ?? 0),
    target: { sender: over.targetSender ?? ALICE, senderRole: 'targetRole' in over ? over.targetRole : 'member', type: over.type ?? 'text', receivedAt: 1_000_000 },
  });

  it('lets a sender recall their own message within the window and not after', () => {
    expect(checkRecall(req({ dt: 0 }))).toBeNull();
    expect(checkRecall(req({ dt: RECALL_WINDOW_MS }))).toBeNull();
    expect(checkRecall(req({ dt: RECALL_WINDOW_MS + 1 }))).toBe('recall-too-late');
  });

  it("refuses a member recalling someone else's message, even at once", () => {
    expect(checkRecall(req({ recaller: BOB }))).toBe('recall-not-allowed');
  });

  it("lets the owner recall anyone's message at any time, and an admin a plain or former member's only", () => {
    const late = RECALL_WINDOW_MS * 100;
    expect(checkRecall(req({ recaller: OWNER, recallerRole: 'owner', targetRole: 'admin', dt: late }))).toBeNull();
    expect(checkRecall(req({ recaller: ADMIN, recallerRole: 'admin', dt: late }))).toBeNull();
    expect(checkRecall(req({ recaller: ADMIN, recallerRole: 'admin', targetRole: undefined, dt: late }))).toBeNull();
    expect(checkRecall(req({ recaller: ADMIN, recallerRole: 'admin', targetSender: OWNER, targetRole: 'owner' }))).toBe('recall-not-allowed');
    expect(checkRecall(req({ recaller: ADMIN, recallerRole: 'admin', targetSender: BOB, targetRole: 'admin' }))).toBe('recall-not-allowed');
  });

  it('an admin who recalls their own message is held to the window like anyone', () => {
    expect(checkRecall(req({ recaller: ADMIN, recallerRole: 'admin', targetSender: ADMIN, targetRole: 'admin', dt: RECALL_WINDOW_MS + 1 }))).toBe('recall-too-late');
  });

  it('refuses to recall votes, closes, accepts and recalls', () => {
    for (const type of ['poll-vote', 'poll-close', 'qa-accept', 'recall'] as const) {
      expect(checkRecall(req({ type, recaller: OWNER, recallerRole: 'owner' }))).toBe('not-recallable');
    }
    for (const type of ['text', 'image', 'file', 'poll-create', 'qa-ask', 'qa-answer'] as const) expect(checkRecall(req({ type }))).toBeNull();
  });
});

describe('message IDs', () => {
  it('carry the creation time in the first 6 bytes and sort by it', () => {
    const rnd = (n: number) => new Uint8Array(n).fill(0xff);
    const a = createMessageId(1_790_000_000_000, rnd);
    const b = createMessageId(1_790_000_000_001, () => new Uint8Array(10));
    expect(messageIdTime(a)).toBe(1_790_000_000_000);
    expect(Buffer.compare(a, b)).toBeLessThan(0);
    expect(a.subarray(6)).toEqual(new Uint8Array(10).fill(0xff));
  });

  it('refuse a bad clock or a short random source', () => {
    expect(() => createMessageId(-1, (n) => new Uint8Array(n))).toThrow(RangeError);
    expect(() => createMessageId(2 ** 48, (n) => new Uint8Array(n))).toThrow(RangeError);
    expect(() => createMessageId(1, () => new Uint8Array(9))).toThrow(RangeError);
  });
});
