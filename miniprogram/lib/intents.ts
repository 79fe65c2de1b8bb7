// What a page asks for. Pages only emit intents; the SDK wiring (later) performs them
// (encrypts, commits, sends) and answers with a new view model. Plain data only.
import type { GroupKind, JoinPolicy, MessageKind } from './view-model';

export type Intent =
  | { type: 'send-text'; chatId: string; text: string; replyTo: string | null; mentions: string[]; mentionAll: boolean }
  /** `durationMs`: voice and video length as the recorder or picker reported it (0 when unknown). */
  | { type: 'send-media'; chatId: string; media: 'image' | 'video' | 'voice' | 'file'; localPath: string; durationMs: number }
  | { type: 'create-poll'; chatId: string; question: string; options: string[] }
  | { type: 'ask-question'; chatId: string; question: string }
  | { type: 'answer'; chatId: string; messageId: string; text: string }
  /** Download and decrypt an attachment; the SDK fills `attachment.localPath` when done. */
  | { type: 'open-attachment'; chatId: string; messageId: string }
  | { type: 'recall'; chatId: string; messageId: string }
  | { type: 'vote'; chatId: string; messageId: string; optionId: string }
  | { type: 'mark-read'; chatId: string }
  | { type: 'pin'; chatId: string; pinned: boolean }
  | { type: 'mute'; chatId: string; muted: boolean }
  | { type: 'set-group-name'; chatId: string; name: string }
  | { type: 'set-announcement'; chatId: string; text: string }
  | { type: 'set-my-nickname'; chatId: string; nickname: string }
  | { type: 'set-remark'; chatId: string; remark: string }
  | { type: 'set-join-policy'; chatId: string; policy: JoinPolicy }
  | { type: 'mute-all'; chatId: string; muted: boolean }
  | { type: 'invite'; chatId: string }
  /** The member page opened: the SDK fills its detail (safety number, speaking record). */
  | { type: 'view-member'; chatId: string; memberId: string }
  | { type: 'kick'; chatId: string; memberId: string }
  | { type: 'mute-member'; chatId: string; memberId: string; muted: boolean }
  | { type: 'set-role'; chatId: string; memberId: string; role: 'admin' | 'member' }
  | { type: 'transfer-ownership'; chatId: string; memberId: string }
  /** Under the approval join policy: an owner or admin answers a join request. */
  | { type: 'approve-join'; chatId: string; requestId: number }
  | { type: 'deny-join'; chatId: string; requestId: number }
  | { type: 'leave'; chatId: string }
  | { type: 'dissolve'; chatId: string }
  | { type: 'create-group'; name: string; kind: GroupKind; joinPolicy: JoinPolicy }
  /** Keyword and filters, as the client's history search takes them; '' lists everything that passes the filters. */
  | {
      type: 'search';
      query: string;
      chatId: string | null;
      senders: string[];
      kinds: MessageKind[];
      /** Inclusive lower bound (ms), local midnight of the picked day; null for none. */
      since: number | null;
    }
  /** Opened from a share card: the card carries only the invite ID. */
  | { type: 'join-by-invite'; inviteId: string }
  /** After the user accepted content-free subscription templates on a tap (wx.requestSubscribeMessage). */
  | { type: 'subscribe-notifications'; templateIds: string[] };

export type IntentType = Intent['type'];
