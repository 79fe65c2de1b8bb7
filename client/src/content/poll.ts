// Poll state and its reducer: plain, versioned data, updated immutably in relay order.
//
// Rules (every client applies the same ones, so every member sees the same tally):
// - one ballot per member; a later vote replaces the earlier one, an empty vote withdraws it;
// - a vote names 1..maxChoices distinct options of the poll (bad-choice otherwise);
// - the poll's creator, the owner or an admin may close it; nothing counts after the close;
// - a vote or close for a poll this client never saw is dropped (unknown-target): members
//   who joined after a poll was created cannot vote in it.
import { bytesToHex } from '../../../crypto/src/bytes';
import type { Role } from '../../../crypto/src/wire/log-entry';
import type { Reduced } from './reasons';
import type { PollCreateContent } from './types';

export interface PollState {
  readonly v: 1;
  /** Hex message ID of the poll. */
  readonly pollId: string;
  /** Hex member ID of its creator. */
  readonly creator: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly maxChoices: number;
  readonly closed: boolean;
  /** Hex member ID of who closed it, when closed. */
  readonly closedBy?: string;
  /** Ballots: hex voter ID -> ascending option indices. */
  readonly votes: Readonly<Record<string, readonly number[]>>;
}

export interface PollTally {
  /** Votes per option, in option order. */
  readonly counts: readonly number[];
  /** Members with a ballot. */
  readonly voters: number;
  readonly closed: boolean;
}

export function createPollState(creator: Uint8Array, poll: PollCreateContent): PollState {
  return {
    v: 1,
    pollId: bytesToHex(poll.messageId),
    creator: bytesToHex(creator),
    question: poll.question,
    options: [...poll.options],
    maxChoices: poll.maxChoices,
    closed: false,
    votes: {},
  };
}

export function applyPollVote(state: PollState, voter: Uint8Array, choices: readonly number[]): Reduced<PollState> {
  if (state.closed) return { ok: false, reason: 'poll-closed' };
  if (choices.length > state.maxChoices) return { ok: false, reason: 'bad-choice' };
  for (let i = 0; i < choices.length; i++) {
    const x = choices[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= state.options.length) return { ok: false, reason: 'bad-choice' };
    if (i > 0 && choices[i - 1]! >= x) return { ok: false, reason: 'bad-choice' };
  }
  const key = bytesToHex(voter);
  const votes: Record<string, readonly number[]> = { ...state.votes };
  if (choices.length === 0) delete votes[key];
  else votes[key] = [...choices];
  return { ok: true, state: { ...state, votes } };
}

/** `role` is the actor's role in the public state at the close's epoch (undefined: not a member). */
export function applyPollClose(state: PollState, actor: Uint8Array, role: Role | undefined): Reduced<PollState> {
  if (state.closed) return { ok: false, reason: 'poll-closed' };
  const key = bytesToHex(actor);
  if (key !== state.creator && role !== 'owner' && role !== 'admin') return { ok: false, reason: 'not-allowed' };
  return { ok: true, state: { ...state, closed: true, closedBy: key } };
}

export function tallyPoll(state: PollState): PollTally {
  const counts = state.options.map(() => 0);
  let voters = 0;
  for (const ballot of Object.values(state.votes)) {
    voters++;
    for (const x of ballot) counts[x] = (counts[x] ?? 0) + 1;
  }
  return { counts, voters, closed: state.closed };
}
