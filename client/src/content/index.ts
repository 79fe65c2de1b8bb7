// Message content: types, the strict codec, and the pure rules every receiver applies
// (poll tally, Q&A, recall). docs/CLIENT-SDK.md "Message content and the send pipeline".
export * from './types';
export * from './limits';
export { CONTENT_MALFORMED, CONTENT_TOO_LARGE, CONTENT_UNSUPPORTED } from './errors';
export { CONTENT_TYPE_CODE, CONTENT_VERSION, compareBytes, decodeContent, encodeContent } from './codec';
export { encodedTextBytes, toWellFormed } from './text-field';
export { createMessageId, messageIdTime } from './message-id';
export { DROP_REASONS, type DropReason, type Reduced } from './reasons';
export { applyPollClose, applyPollVote, createPollState, tallyPoll, type PollState, type PollTally } from './poll';
export { applyAccept, applyAnswer, createQuestionState, removeAnswer, type AnswerRecord, type QuestionState } from './qa';
export { checkRecall, type RecallRequest } from './recall';
