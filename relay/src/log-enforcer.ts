// The relay's view of a group, from crypto/'s public fold (crypto/src/log/public-fold.ts).
//
// This adapter is the only place the relay touches the membership log's rules: it folds an
// entry on the stored state (signature, authorisation, chain, envelopes), and turns the
// public state into the routing facts the relay needs (who is served, the epoch, who may
// send, invite or approve). It learns no group name and no secret.
import { bytesToHex, equalBytes } from '../../crypto/src/bytes';
import { E2eeError } from '../../crypto/src/errors';
import {
  canInvite,
  canSendMedia,
  canSendMessage,
  decodeEnvelopeRecipient,
  decodeLogEntry,
  decodePublicGroupState,
  encodePublicGroupState,
  foldPublicEntry,
  foldPublicGenesis,
  isServed,
  memberIdOf,
  type PublicGroupState,
} from '../../crypto/src/log/public-fold';
import type { Primitives } from '../../crypto/src/primitives/types';
import type { FoldedAppend } from './store/types';

export interface GroupView {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly head: Uint8Array;
  readonly dissolved: boolean;
  /** Hex member IDs the relay serves (members without a pending leave, in a live group). */
  readonly served: ReadonlySet<string>;
  /** Position of a member in the ascending member list (a message header's sender index), or -1. */
  memberIndex(memberHex: string): number;
  /** May this member post a message now (served, not muted)? */
  maySend(memberHex: string): boolean;
  /** May this member upload attachments (send files and media) under the policy? */
  maySendMedia(memberHex: string): boolean;
  /** May this member create invite links? */
  mayInvite(memberHex: string): boolean;
  /** May this member see and act on join requests? */
  mayApproveJoin(memberHex: string): boolean;
}

export interface Folded {
  view: GroupView;
  stored: FoldedAppend;
}

export interface LogEnforcer {
  memberIdOf(identityKey: Uint8Array): Uint8Array;
  /** Group ID named by an entry (to route a create). Throws E2eeError(MALFORMED). */
  groupIdOf(entry: Uint8Array): Uint8Array;
  /** Folds a create entry. Throws E2eeError with the fold's code to reject. */
  genesis(entry: Uint8Array, envelopes: Uint8Array[]): Folded;
  /**
   * Folds an entry on the stored state. Throws E2eeError with the fold's code to reject.
   * `cached` is the view of the same state when the caller has it (skips decoding it).
   */
  append(state: Uint8Array, entry: Uint8Array, envelopes: Uint8Array[], cached?: GroupView): Folded;
  /** The view of a stored state (decoded and checked). */
  view(state: Uint8Array): GroupView;
}

function hexOf(b: Uint8Array): string {
  return bytesToHex(b);
}

class PublicView implements GroupView {
  readonly served: ReadonlySet<string>;
  /** The encoded state this view was built from (identity check for reuse). */
  encoded: Uint8Array | null = null;
  private readonly byHex: Map<string, Uint8Array>;
  private readonly index: Map<string, number>;

  constructor(readonly state: PublicGroupState) {
    const served = new Set<string>();
    this.byHex = new Map();
    this.index = new Map();
    state.members.forEach((m, i) => {
      const h = hexOf(m.memberId);
      this.byHex.set(h, m.memberId);
      this.index.set(h, i);
      if (isServed(state, m.memberId)) served.add(h);
    });
    this.served = served;
  }

  get groupId(): Uint8Array {
    return this.state.groupId;
  }
  get epoch(): number {
    return this.state.epoch;
  }
  get head(): Uint8Array {
    return this.state.headHash;
  }
  get dissolved(): boolean {
    return this.state.dissolved;
  }

  memberIndex(memberHex: string): number {
    return this.index.get(memberHex) ?? -1;
  }

  maySend(memberHex: string): boolean {
    const id = this.byHex.get(memberHex);
    return !!id && canSendMessage(this.state, id);
  }

  maySendMedia(memberHex: string): boolean {
    const id = this.byHex.get(memberHex);
    return !!id && canSendMedia(this.state, id);
  }

  mayInvite(memberHex: string): boolean {
    const id = this.byHex.get(memberHex);
    return !!id && canInvite(this.state, id);
  }

  mayApproveJoin(memberHex: string): boolean {
    // Whoever may commit the add may see the requests: every member for an open group,
    // owner and admins for approval, the invite permission for invite-only.
    return this.mayInvite(memberHex);
  }
}

function stored(p: Primitives, state: PublicGroupState, view: PublicView, envelopes: Uint8Array[]): FoldedAppend {
  const publicState = encodePublicGroupState(state);
  view.encoded = publicState;
  return {
    publicState,
    head: state.headHash,
    epoch: state.epoch,
    dissolved: state.dissolved,
    served: state.members.filter((m) => isServed(state, m.memberId)).map((m) => m.memberId),
    envelopes: envelopes.map((envelope) => ({ recipient: decodeEnvelopeRecipient(envelope), envelope })),
  };
}

export function createLogEnforcer(p: Primitives): LogEnforcer {
  return {
    memberIdOf: (identityKey) => memberIdOf(p, identityKey),
    groupIdOf: (entry) => decodeLogEntry(entry).groupId,
    genesis(entry, envelopes) {
      if (envelopes.length > 0) {
        throw new E2eeError('E2E_ERR_ENVELOPE_MISMATCH', 'a create entry carries no envelopes', 'genesis');
      }
      const state = foldPublicGenesis(p, entry);
      const view = new PublicView(state);
      return { view, stored: stored(p, state, view, envelopes) };
    },
    append(stateBytes, entry, envelopes, cached) {
      const before =
        cached instanceof PublicView && cached.encoded !== null && equalBytes(cached.encoded, stateBytes)
          ? cached.state
          : decodePublicGroupState(p, stateBytes);
      const state = foldPublicEntry(p, before, entry, envelopes);
      const view = new PublicView(state);
      return { view, stored: stored(p, state, view, envelopes) };
    },
    view(stateBytes) {
      const view = new PublicView(decodePublicGroupState(p, stateBytes));
      view.encoded = stateBytes;
      return view;
    },
  };
}
