// Why a received content was not applied. The receiver drops it, counts it by reason and
// never shows it; none of these is an alarm (a buggy or hostile member, not a broken group).
export const DROP_REASONS = [
  /** The content bytes do not decode. */
  'malformed',
  /** A content version or type this client does not know. */
  'unsupported',
  /** The sender is muted, or the whole group is muted and the sender is a plain member. */
  'sender-muted',
  /** Media or a file from a role the policy does not let send them. */
  'media-forbidden',
  /** The sender's membership does not allow sending (leave requested, not a member). */
  'not-allowed-to-send',
  /** A vote, close, answer, accept or recall naming a message this client does not have (or of the wrong kind). */
  'unknown-target',
  /** A vote or close on a closed poll. */
  'poll-closed',
  /** A vote naming an option the poll does not have, or more options than it allows. */
  'bad-choice',
  /** A poll close by someone other than its creator or an admin; an accept by someone other than the asker. */
  'not-allowed',
  /** An accept naming an answer that does not belong to the question. */
  'unknown-answer',
  /** A question already holds MAX_ANSWERS_PER_QUESTION answers. */
  'too-many-answers',
  /** The same message ID again (a replay or a client bug). */
  'duplicate',
  /** A recall of a message that is not shown as a message (a vote, a close, an accept, a recall). */
  'not-recallable',
  /** A recall of one's own message after RECALL_WINDOW_MS. */
  'recall-too-late',
  /** A recall of someone else's message without the role for it. */
  'recall-not-allowed',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Reduced<S> = { readonly ok: true; readonly state: S } | { readonly ok: false; readonly reason: DropReason };
