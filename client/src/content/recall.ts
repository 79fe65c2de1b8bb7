// Who may recall what (撤回), decided identically by every client:
//
// - the sender of a message may recall it within RECALL_WINDOW_MS (2 minutes) of the
//   relay's receive time of the message, measured against the relay's receive time of the
//   recall. Sender timestamps are not used: the sender is the party the window restrains;
// - the owner may recall any member's message at any time;
// - an admin may recall a plain member's message (or a former member's) at any time, but
//   not the owner's or another admin's;
// - only messages shown as messages can be recalled (text, media, file, poll, question,
//   answer); votes, closes, accepts and recalls cannot.
// Roles are those of the public state at the recall's epoch. A malicious relay could lie
// about receive times, but such a relay can also withhold the recall: it gains nothing new.
import { equalBytes } from '../../../crypto/src/bytes';
import type { Role } from '../../../crypto/src/wire/log-entry';
import { RECALL_WINDOW_MS } from './limits';
import type { DropReason } from './reasons';
import { DISPLAYED_TYPES, type ContentType } from './types';

export interface RecallRequest {
  readonly recaller: Uint8Array;
  /** Role of the recaller at the recall's epoch (undefined: not a member). */
  readonly recallerRole: Role | undefined;
  /** Relay receive time of the recall (ms). */
  readonly recallReceivedAt: number;
  readonly target: {
    readonly sender: Uint8Array;
    /** Role of the target's sender in the same state (undefined: no longer a member). */
    readonly senderRole: Role | undefined;
    readonly type: ContentType;
    /** Relay receive time of the target (ms). */
    readonly receivedAt: number;
  };
}

/** null when the recall is allowed, else why not. */
export function checkRecall(req: RecallRequest): DropReason | null {
  if (!DISPLAYED_TYPES.includes(req.target.type)) return 'not-recallable';
  if (equalBytes(req.recaller, req.target.sender)) {
    return req.recallReceivedAt - req.target.receivedAt <= RECALL_WINDOW_MS ? null : 'recall-too-late';
  }
  if (req.recallerRole === 'owner') return null;
  if (req.recallerRole === 'admin' && (req.target.senderRole === 'member' || req.target.senderRole === undefined)) return null;
  return 'recall-not-allowed';
}
