// The terminal chat's input language: a line starting with "/" is a command, anything else
// is a message to the current group. Parsing is pure, so it is tested without a terminal.

export interface CommandSpec {
  name: string;
  /** Argument synopsis for /help. */
  usage: string;
  help: string;
  /** Minimum and maximum number of words after the command (rest-of-line commands: max Infinity). */
  min: number;
  max: number;
  /** Everything after the command is one argument (search words, a group name). */
  rest?: boolean;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'help', usage: '', help: 'this list', min: 0, max: 0 },
  { name: 'id', usage: '', help: 'your member ID (others invite you with it)', min: 0, max: 0 },
  { name: 'create', usage: '<name>', help: 'create a group and switch to it (/create! for a private group)', min: 1, max: Infinity, rest: true },
  { name: 'groups', usage: '', help: 'list your groups with unread counts', min: 0, max: 0 },
  { name: 'switch', usage: '<number|name>', help: 'make a group the current one', min: 1, max: Infinity, rest: true },
  { name: 'invite', usage: '<member ID>', help: 'add a member to the current group', min: 1, max: 1 },
  { name: 'link', usage: '[hours] [uses]', help: 'create an invite link for the current group (default 24 h, 10 uses)', min: 0, max: 2 },
  { name: 'join', usage: '<link>', help: 'ask to join a group with an invite link', min: 1, max: 1 },
  { name: 'members', usage: '', help: 'members of the current group and their roles', min: 0, max: 0 },
  { name: 'kick', usage: '<member>', help: 'remove a member from the current group (ID or ID prefix)', min: 1, max: 1 },
  { name: 'leave', usage: '', help: 'leave the current group', min: 0, max: 0 },
  { name: 'safety', usage: '<member>', help: "the safety number you and the member compare to verify each other's keys", min: 1, max: 1 },
  { name: 'search', usage: '<words>', help: 'search your local history of every group (Chinese works)', min: 1, max: Infinity, rest: true },
  { name: 'history', usage: '[count]', help: 'the last messages of the current group (default 20)', min: 0, max: 1 },
  { name: 'quit', usage: '', help: 'exit (also Ctrl-D)', min: 0, max: 0 },
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));
const ALIASES = new Map([
  ['h', 'help'],
  ['?', 'help'],
  ['g', 'groups'],
  ['s', 'switch'],
  ['q', 'quit'],
  ['exit', 'quit'],
  ['create!', 'create'],
]);

export type Parsed =
  | { kind: 'empty' }
  | { kind: 'text'; text: string }
  | { kind: 'command'; name: string; args: string[]; /** /create! */ bang: boolean }
  | { kind: 'error'; message: string };

/** Messages longer than this are refused before they reach the SDK. */
export const MAX_INPUT_CHARS = 4096;

export function parseInput(line: string): Parsed {
  const trimmed = line.replace(/[\r\n]+$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  if ([...trimmed].length > MAX_INPUT_CHARS) return { kind: 'error', message: `message too long (at most ${MAX_INPUT_CHARS} characters)` };
  // "//text" sends a message that starts with a slash.
  if (trimmed.startsWith('//')) return { kind: 'text', text: trimmed.slice(1) };
  if (!trimmed.startsWith('/')) return { kind: 'text', text: trimmed };
  const body = trimmed.slice(1).trim();
  const space = body.search(/\s/);
  const word = (space < 0 ? body : body.slice(0, space)).toLowerCase();
  const restText = space < 0 ? '' : body.slice(space).trim();
  const name = ALIASES.get(word) ?? word;
  const spec = BY_NAME.get(name);
  if (!spec) return { kind: 'error', message: `unknown command /${word}; /help lists them` };
  const args = spec.rest ? (restText ? [restText] : []) : restText ? restText.split(/\s+/) : [];
  const count = spec.rest ? (restText ? Infinity : 0) : args.length;
  if (count < spec.min || (!spec.rest && count > spec.max)) {
    return { kind: 'error', message: `usage: /${spec.name}${spec.usage ? ` ${spec.usage}` : ''}` };
  }
  return { kind: 'command', name, args, bang: word === 'create!' };
}

export function helpText(): string {
  const rows = COMMANDS.map((c) => `  /${c.name}${c.usage ? ` ${c.usage}` : ''}`);
  const width = Math.max(...rows.map((r) => r.length)) + 2;
  return [
    'Type a message and press Enter to send it to the current group (start it with // to send a leading /).',
    ...COMMANDS.map((c, i) => `${rows[i]!.padEnd(width)}${c.help}`),
  ].join('\n');
}

/** Positive integer argument or the default; null when present but not a positive integer. */
export function intArg(value: string | undefined, fallback: number, max: number): number | null {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= max ? n : null;
}
