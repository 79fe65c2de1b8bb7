// The default notifier: one line per wake-up, with no content, no group name, no sender
// and no subscription token. Member and group appear only as 8-hex-digit tags keyed with a
// per-process random key: lines of one run can be correlated with each other (the same
// member woken twice), never with a member or group ID in the database or another run.
import { createHmac, randomBytes } from 'node:crypto';
import type { Notification, Notifier } from './types';

export interface LogNotifierOptions {
  /** Where lines go. Default: stdout. */
  write?: (line: string) => void;
  /** Tag key (tests pin it). Default: 32 random bytes per process. */
  tagKey?: Uint8Array;
}

export function createLogNotifier(opts: LogNotifierOptions = {}): Notifier {
  const write = opts.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const key = opts.tagKey ?? randomBytes(32);
  const tag = (id: Uint8Array) => createHmac('sha256', key).update(id).digest('hex').slice(0, 8);
  return {
    name: 'log',
    notify(n: Notification) {
      write(`notify kind=${n.kind} member=${tag(n.memberId)}${n.groupId ? ` group=${tag(n.groupId)}` : ''}`);
    },
  };
}

/** The notifier of `--notifier none`: wake-ups are not sent. */
export const NO_NOTIFIER: Notifier = { name: 'none', notify() {} };
