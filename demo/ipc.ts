// Request/reply over the Node IPC channel between the demo orchestrator and its member
// processes. The channel uses structured-clone serialization, so Uint8Array crosses as is.
//
//   parent -> child   { kind: 'call', id, op, args }
//   child -> parent   { kind: 'reply', id, ok: true, value } | { kind: 'reply', id, ok: false, error }
//   child -> parent   { kind: 'event', event, data }           (pushed whenever the member sees something)
import { fork, type ChildProcess } from 'node:child_process';

export interface CallMessage {
  kind: 'call';
  id: number;
  op: string;
  args: unknown[];
}

export interface ReplyError {
  code?: string;
  message: string;
}

export type ReplyMessage = { kind: 'reply'; id: number; ok: true; value: unknown } | { kind: 'reply'; id: number; ok: false; error: ReplyError };

export interface EventMessage {
  kind: 'event';
  event: string;
  data: unknown;
}

/** An error a member process answered with; `code` is the E2eeError code when it had one. */
export class MemberError extends Error {
  constructor(
    readonly member: string,
    readonly op: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`${member}.${op}: ${code ? `${code}: ` : ''}${message}`);
    this.name = 'MemberError';
  }
}

export interface SpawnOptions {
  /** Working directory (the project root, so `--import tsx` resolves). */
  cwd: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Receives every stderr line of the child (diagnostics only). */
  onStderr?: (line: string) => void;
}

/** The parent's handle on one member process. */
export class MemberProcess {
  readonly events: EventMessage[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; op: string }>();
  private readonly listeners = new Set<(e: EventMessage) => void>();
  private exited: { code: number | null; signal: string | null } | null = null;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (raw) => this.onMessage(raw as ReplyMessage | EventMessage));
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const [, p] of this.pending) p.reject(new MemberError(this.name, p.op, undefined, `process exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  static spawn(name: string, script: string, args: string[], opts: SpawnOptions): MemberProcess {
    const child = fork(script, args, {
      cwd: opts.cwd,
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...opts.env },
    });
    let buffered = '';
    child.stderr?.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        opts.onStderr?.(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    return new MemberProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exited !== null;
  }

  private onMessage(m: ReplyMessage | EventMessage): void {
    if (m.kind === 'event') {
      this.events.push(m);
      for (const l of this.listeners) l(m);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new MemberError(this.name, p.op, m.error.code, m.error.message));
  }

  /** Calls `op` in the member process; rejects with MemberError on its error or after `timeoutMs`. */
  call<T = unknown>(op: string, args: unknown[] = [], timeoutMs = 20_000): Promise<T> {
    if (this.exited) return Promise.reject(new MemberError(this.name, op, undefined, 'process has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MemberError(this.name, op, undefined, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        op,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const msg: CallMessage = { kind: 'call', id, op, args };
      this.child.send(msg);
    });
  }

  /** Resolves with the first event (already received or future) that `pred` accepts. */
  waitForEvent<T = unknown>(pred: (e: EventMessage) => boolean, timeoutMs = 15_000, what = 'an event'): Promise<T> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen.data as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new MemberError(this.name, 'wait', undefined, `did not see ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: EventMessage) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(e.data as T);
      };
      this.listeners.add(listener);
    });
  }

  /** Asks the member to shut down, then kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.call('shutdown', [], graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Child side: answers calls with `handlers`; `emit` pushes an event to the parent. */
export function serveMember(handlers: Record<string, (...args: never[]) => Promise<unknown>>): { emit: (event: string, data: unknown) => void } {
  if (!process.send) throw new Error('a demo member runs as a forked child process (no IPC channel)');
  const send = (m: ReplyMessage | EventMessage) => {
    if (process.connected) process.send!(m);
  };
  process.on('message', (raw) => {
    const m = raw as CallMessage;
    if (m?.kind !== 'call') return;
    const handler = handlers[m.op] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    const run = handler ? handler(...m.args) : Promise.reject(new Error(`unknown operation "${m.op}"`));
    run.then(
      (value) => send({ kind: 'reply', id: m.id, ok: true, value }),
      (e: unknown) => {
        const err = e as { code?: unknown; message?: unknown };
        send({ kind: 'reply', id: m.id, ok: false, error: { code: typeof err?.code === 'string' ? err.code : undefined, message: String(err?.message ?? e) } });
      },
    );
  });
  // The parent going away ends the member (no orphans).
  process.on('disconnect', () => process.exit(0));
  return { emit: (event, data) => send({ kind: 'event', event, data }) };
}
