// The operations a demo member process answers and the events it pushes (demo/ipc.ts
// carries them). IDs are lower-case hex, as the transcript prints them.

export interface SeenMessage {
  groupId: string;
  messageId: string;
  sender: string;
  seq: number;
  /** History type: 'text', 'image', 'poll', 'system', ... */
  type: string;
  /** Text as the receiver stored it (after the sender's PII masking), caption or poll question. */
  text: string;
  /** Poll ID when the message opens a poll. */
  pollId?: string;
  attachment?: { name?: string; mime?: string; size?: number };
}

export interface PollTally {
  question: string;
  options: { text: string; votes: number }[];
  voters: number;
}

/** What the kicked member got when it tried to read the messages sent after its removal. */
export interface ReadAttempt {
  /** Messages its client delivered to it from the group after the kick. */
  delivered: number;
  /** Its fetch of the group's messages: refused (with the relay's code) or what came back. */
  fetch: { refused: true; code: string } | { refused: false; count: number };
  /** Decryption of the relay's stored ciphertexts with every key the device kept. */
  decrypt: { seq: number; epoch: number; ok: boolean; code?: string; text?: string }[];
  /** The last epoch the device holds keys for. */
  keptEpoch: number | null;
}

export interface MemberOps {
  /** Opens the device (keys, store), registers with the relay and connects. */
  start(relayUrl: string): Promise<{ memberId: string }>;
  createGroup(name: string, type: 'normal' | 'private'): Promise<{ groupId: string }>;
  invite(groupId: string, memberId: string): Promise<void>;
  createInviteLink(groupId: string): Promise<{ link: string }>;
  join(link: string): Promise<void>;
  sendText(groupId: string, text: string): Promise<{ messageId: string; sentText: string }>;
  sendImage(groupId: string, bytes: Uint8Array, name: string, caption: string): Promise<{ messageId: string }>;
  downloadImage(groupId: string, messageId: string): Promise<Uint8Array>;
  createPoll(groupId: string, question: string, options: string[]): Promise<{ pollId: string }>;
  vote(groupId: string, pollId: string, option: number): Promise<void>;
  pollTally(groupId: string, pollId: string): Promise<PollTally>;
  kick(groupId: string, memberId: string): Promise<void>;
  members(groupId: string): Promise<string[]>;
  history(groupId: string): Promise<SeenMessage[]>;
  /** The kicked member's attempt: `ciphertexts` are what a colluding relay hands it. */
  tryToRead(groupId: string, ciphertexts: { seq: number; body: Uint8Array }[]): Promise<ReadAttempt>;
  shutdown(): Promise<void>;
}

export type MemberEvent =
  | { event: 'message'; data: SeenMessage }
  | { event: 'joined'; data: { groupId: string; name: string } }
  | { event: 'removed'; data: { groupId: string } }
  | { event: 'membership'; data: { groupId: string; text: string } }
  | { event: 'alarm'; data: { groupId?: string; text: string } };
