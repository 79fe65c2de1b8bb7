// The terminal chat's logic, between the input language (commands.ts) and the SDK
// (backend.ts): current group, member and group lookup by short prefixes, and the text of
// every line it prints. No terminal here: `print` receives whole lines.
import { helpText, intArg, parseInput } from './commands';

export type Role = 'owner' | 'admin' | 'member';

export interface GroupSummary {
  id: string;
  name: string;
  unread: number;
  members: number;
}

export interface MemberSummary {
  id: string;
  role: Role;
}

export interface ChatLine {
  groupId: string;
  messageId: string;
  sender: string;
  /** 'text', 'image', 'poll', ... (history types). */
  type: string;
  text: string;
  timestamp: number;
  /** The user or @all is mentioned. */
  mention?: boolean;
}

export type BackendEvent =
  | { kind: 'message'; line: ChatLine }
  | { kind: 'joined'; groupId: string; name: string }
  | { kind: 'membership'; groupId: string; text: string }
  | { kind: 'removed'; groupId: string }
  | { kind: 'alarm'; groupId?: string; text: string }
  | { kind: 'connection'; state: string }
  | { kind: 'joinRequest'; groupId: string; text: string };

/** What the terminal chat needs from the SDK (implemented over ChatClient in backend.ts). */
export interface ChatBackend {
  readonly selfId: string;
  listGroups(): Promise<GroupSummary[]>;
  createGroup(name: string, isPrivate: boolean): Promise<string>;
  invite(groupId: string, memberId: string): Promise<void>;
  createInviteLink(groupId: string, hours: number, uses: number): Promise<string>;
  /** Resolves when the join request is posted; `groupId` once the add is committed and the welcome opened. */
  join(link: string): Promise<{ groupId?: string }>;
  members(groupId: string): Promise<MemberSummary[]>;
  kick(groupId: string, memberId: string): Promise<void>;
  leave(groupId: string): Promise<void>;
  safetyNumber(groupId: string, memberId: string): Promise<string>;
  search(text: string): Promise<ChatLine[]>;
  history(groupId: string, limit: number): Promise<ChatLine[]>;
  /** Resolves with the text as sent (after PII masking). */
  sendText(groupId: string, text: string): Promise<{ text: string }>;
  markRead(groupId: string): Promise<void>;
  onEvent(handler: (e: BackendEvent) => void): void;
  close(): Promise<void>;
}

/** Hex IDs are shown by their first 8 characters. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export class ChatApp {
  private current: string | undefined;
  private groupNames = new Map<string, string>();

  constructor(
    private readonly backend: ChatBackend,
    private readonly print: (line: string) => void,
    private readonly selfName: string,
  ) {
    backend.onEvent((e) => this.onEvent(e));
  }

  get currentGroup(): string | undefined {
    return this.current;
  }

  private label(id: string): string {
    return id === this.backend.selfId ? `${this.selfName} (you)` : shortId(id);
  }

  private groupLabel(id: string): string {
    return this.groupNames.get(id) ?? shortId(id);
  }

  formatMessage(l: ChatLine): string {
    const kind = l.type === 'text' ? '' : `[${l.type}] `;
    return `${formatTime(l.timestamp)} [${this.groupLabel(l.groupId)}] ${this.label(l.sender)}: ${kind}${l.text}${l.mention ? '  (@ you)' : ''}`;
  }

  private onEvent(e: BackendEvent): void {
    switch (e.kind) {
      case 'message':
        if (e.line.sender === this.backend.selfId) return; // shown when sent
        this.print(this.formatMessage(e.line));
        if (e.line.groupId === this.current) this.backend.markRead(e.line.groupId).catch(() => undefined);
        return;
      case 'joined':
        this.groupNames.set(e.groupId, e.name);
        this.print(`* you are now a member of "${e.name}" (${shortId(e.groupId)})${this.current ? '; /switch to it' : ''}`);
        if (!this.current) this.current = e.groupId;
        return;
      case 'membership':
        this.print(`* [${this.groupLabel(e.groupId)}] ${e.text}`);
        return;
      case 'joinRequest':
        this.print(`* [${this.groupLabel(e.groupId)}] ${e.text}`);
        return;
      case 'removed':
        this.print(`* you were removed from "${this.groupLabel(e.groupId)}": it no longer delivers to you`);
        if (this.current === e.groupId) this.current = undefined;
        return;
      case 'alarm':
        this.print(`! ${e.groupId ? `[${this.groupLabel(e.groupId)}] ` : ''}${e.text}`);
        return;
      case 'connection':
        this.print(`* relay connection: ${e.state}`);
        return;
    }
  }

  private async refreshGroups(): Promise<GroupSummary[]> {
    const groups = await this.backend.listGroups();
    for (const g of groups) this.groupNames.set(g.id, g.name);
    return groups;
  }

  private requireGroup(): string {
    if (!this.current) throw new UsageError('no current group: /create one, /join a link, or /switch');
    return this.current;
  }

  private async resolveMember(groupId: string, ref: string): Promise<string> {
    const members = await this.backend.members(groupId);
    const needle = ref.toLowerCase();
    const hits = members.filter((m) => m.id.startsWith(needle));
    if (needle.length < 4) throw new UsageError('give at least 4 characters of the member ID');
    if (hits.length === 0) throw new UsageError(`no member of this group has an ID starting with ${ref}`);
    if (hits.length > 1) throw new UsageError(`${ref} matches ${hits.length} members; give more characters`);
    return hits[0]!.id;
  }

  /** Handles one input line; resolves false when the user asked to quit. */
  async handle(input: string): Promise<boolean> {
    const parsed = parseInput(input);
    try {
      switch (parsed.kind) {
        case 'empty':
          return true;
        case 'error':
          this.print(`? ${parsed.message}`);
          return true;
        case 'text': {
          const groupId = this.requireGroup();
          const sent = await this.backend.sendText(groupId, parsed.text);
          this.print(this.formatMessage({ groupId, messageId: '', sender: this.backend.selfId, type: 'text', text: sent.text, timestamp: Date.now() }));
          if (sent.text !== parsed.text) this.print('* personal data in your message was masked before it was encrypted');
          return true;
        }
        case 'command':
          return await this.command(parsed.name, parsed.args, parsed.bang);
      }
    } catch (e) {
      this.print(`? ${describeError(e)}`);
      return true;
    }
  }

  private async command(name: string, args: string[], bang: boolean): Promise<boolean> {
    switch (name) {
      case 'help':
        this.print(helpText());
        return true;
      case 'quit':
        return false;
      case 'id':
        this.print(`your member ID: ${this.backend.selfId}`);
        return true;
      case 'create': {
        const groupName = args[0]!;
        const id = await this.backend.createGroup(groupName, bang);
        this.groupNames.set(id, groupName);
        this.current = id;
        this.print(`* created ${bang ? 'private ' : ''}group "${groupName}" (${shortId(id)}); it is now the current group`);
        return true;
      }
      case 'groups': {
        const groups = await this.refreshGroups();
        if (groups.length === 0) this.print('* no groups yet');
        groups.forEach((g, i) => {
          const mark = g.id === this.current ? '*' : ' ';
          this.print(`${mark}${i + 1}. ${g.name} (${shortId(g.id)}) ${g.members} members${g.unread ? `, ${g.unread} unread` : ''}`);
        });
        return true;
      }
      case 'switch': {
        const groups = await this.refreshGroups();
        const ref = args[0]!;
        const byIndex = /^\d+$/.test(ref) ? groups[Number(ref) - 1] : undefined;
        const hits = byIndex ? [byIndex] : groups.filter((g) => g.name === ref || g.id.startsWith(ref.toLowerCase()));
        if (hits.length !== 1) throw new UsageError(hits.length ? `"${ref}" matches ${hits.length} groups` : `no group "${ref}"; /groups lists them`);
        const g = hits[0]!;
        this.current = g.id;
        this.print(`* current group: ${g.name}`);
        for (const l of await this.backend.history(g.id, Math.min(g.unread, 20))) this.print(this.formatMessage(l));
        await this.backend.markRead(g.id);
        return true;
      }
      case 'invite': {
        const groupId = this.requireGroup();
        const memberId = args[0]!.toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(memberId)) throw new UsageError('a member ID is 64 hex characters (they see it with /id)');
        await this.backend.invite(groupId, memberId);
        this.print(`* invited ${shortId(memberId)} to "${this.groupLabel(groupId)}"`);
        return true;
      }
      case 'link': {
        const groupId = this.requireGroup();
        const hours = intArg(args[0], 24, 24 * 30);
        const uses = intArg(args[1], 10, 500);
        if (hours === null || uses === null) throw new UsageError('usage: /link [hours 1..720] [uses 1..500]');
        const link = await this.backend.createInviteLink(groupId, hours, uses);
        this.print(`* invite link (valid ${hours} h, ${uses} uses): ${link}`);
        return true;
      }
      case 'join': {
        const r = await this.backend.join(args[0]!);
        this.print(r.groupId ? `* joined ${this.groupLabel(r.groupId)}` : '* join request sent; you are in once a member admits you');
        return true;
      }
      case 'members': {
        const groupId = this.requireGroup();
        const members = await this.backend.members(groupId);
        this.print(`* ${members.length} members of "${this.groupLabel(groupId)}":`);
        for (const m of members) this.print(`  ${m.id === this.backend.selfId ? `${this.selfName} (you)` : m.id}  ${m.role}`);
        return true;
      }
      case 'kick': {
        const groupId = this.requireGroup();
        const memberId = await this.resolveMember(groupId, args[0]!);
        await this.backend.kick(groupId, memberId);
        this.print(`* removed ${shortId(memberId)}; the group moved to a fresh key they do not have`);
        return true;
      }
      case 'leave': {
        const groupId = this.requireGroup();
        await this.backend.leave(groupId);
        this.print(`* you left "${this.groupLabel(groupId)}"`);
        this.current = undefined;
        return true;
      }
      case 'safety': {
        const groupId = this.requireGroup();
        const memberId = await this.resolveMember(groupId, args[0]!);
        const number = await this.backend.safetyNumber(groupId, memberId);
        this.print(`* safety number with ${shortId(memberId)}: ${number}`);
        this.print('  compare it in person or on a call; if it differs, someone is in the middle');
        return true;
      }
      case 'search': {
        const hits = await this.backend.search(args[0]!);
        this.print(`* ${hits.length} result${hits.length === 1 ? '' : 's'} for "${args[0]}"`);
        for (const l of hits) this.print(`  ${this.formatMessage(l)}`);
        return true;
      }
      case 'history': {
        const groupId = this.requireGroup();
        const n = intArg(args[0], 20, 500);
        if (n === null) throw new UsageError('usage: /history [count 1..500]');
        for (const l of await this.backend.history(groupId, n)) this.print(this.formatMessage(l));
        return true;
      }
    }
    throw new UsageError(`/${name} is not available`);
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** One line for the user: the stable code of an SDK error, never a stack. */
export function describeError(e: unknown): string {
  if (e instanceof UsageError) return e.message;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return code ? `${code}: ${message}` : message;
}
