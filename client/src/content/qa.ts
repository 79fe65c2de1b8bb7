// Q&A state and its reducer: a question, its answers in relay order, and at most one
// accepted answer, chosen by the asker (who may change the choice). Plain, versioned data.
//
// - an answer to a question this client never saw is dropped (unknown-target);
// - at most MAX_ANSWERS_PER_QUESTION answers are kept (too-many-answers beyond);
// - only the asker may accept, and only an answer of this question (unknown-answer);
// - a recalled answer leaves the list and, if accepted, the acceptance.
import { bytesToHex } from '../../../crypto/src/bytes';
import { MAX_ANSWERS_PER_QUESTION } from './limits';
import type { Reduced } from './reasons';
import type { QaAskContent } from './types';

export interface AnswerRecord {
  /** Hex message ID of the answer. */
  readonly answerId: string;
  /** Hex member ID of its author. */
  readonly author: string;
  readonly text: string;
  /** Sender's timestamp (display only). */
  readonly sentAt: number;
}

export interface QuestionState {
  readonly v: 1;
  readonly questionId: string;
  readonly asker: string;
  readonly question: string;
  readonly answers: readonly AnswerRecord[];
  /** Hex message ID of the accepted answer, or null. */
  readonly accepted: string | null;
}

export function createQuestionState(asker: Uint8Array, ask: QaAskContent): QuestionState {
  return { v: 1, questionId: bytesToHex(ask.messageId), asker: bytesToHex(asker), question: ask.question, answers: [], accepted: null };
}

export function applyAnswer(state: QuestionState, author: Uint8Array, answerId: Uint8Array, text: string, sentAt: number): Reduced<QuestionState> {
  const id = bytesToHex(answerId);
  if (state.answers.some((a) => a.answerId === id)) return { ok: false, reason: 'duplicate' };
  if (state.answers.length >= MAX_ANSWERS_PER_QUESTION) return { ok: false, reason: 'too-many-answers' };
  return { ok: true, state: { ...state, answers: [...state.answers, { answerId: id, author: bytesToHex(author), text, sentAt }] } };
}

export function applyAccept(state: QuestionState, actor: Uint8Array, answerId: Uint8Array): Reduced<QuestionState> {
  if (bytesToHex(actor) !== state.asker) return { ok: false, reason: 'not-allowed' };
  const id = bytesToHex(answerId);
  if (!state.answers.some((a) => a.answerId === id)) return { ok: false, reason: 'unknown-answer' };
  return { ok: true, state: { ...state, accepted: id } };
}

/** Removes a recalled answer (no change when it is not there). */
export function removeAnswer(state: QuestionState, answerId: Uint8Array): QuestionState {
  const id = bytesToHex(answerId);
  if (!state.answers.some((a) => a.answerId === id)) return state;
  return { ...state, answers: state.answers.filter((a) => a.answerId !== id), accepted: state.accepted === id ? null : state.accepted };
}
