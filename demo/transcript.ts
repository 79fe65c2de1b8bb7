// The demo's readable transcript: who did what, what each member saw, and the checks
// that decide the exit code. Lines are kept (the integration test reads them) and written
// as they happen. Column widths count CJK characters as two terminal columns.

export type LineKind = 'section' | 'act' | 'saw' | 'note' | 'pass' | 'fail';

export interface TranscriptLine {
  kind: LineKind;
  actor?: string;
  text: string;
  /** Seconds since the transcript started. */
  at: number;
}

/** Terminal columns of `s` (East Asian wide characters and emoji count as 2). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

export function padEnd(s: string, columns: number): string {
  return s + ' '.repeat(Math.max(0, columns - displayWidth(s)));
}

const ACTOR_COLUMNS = 8;

export class Transcript {
  readonly lines: TranscriptLine[] = [];
  private readonly t0 = performance.now();

  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  private push(line: Omit<TranscriptLine, 'at'>): void {
    const full = { ...line, at: (performance.now() - this.t0) / 1000 };
    this.lines.push(full);
    this.write(formatLine(full) + '\n');
  }

  section(title: string): void {
    this.push({ kind: 'section', text: title });
  }

  /** `actor` did something (sent, created, kicked). */
  act(actor: string, text: string): void {
    this.push({ kind: 'act', actor, text });
  }

  /** `actor`'s client received or showed something. */
  saw(actor: string, text: string): void {
    this.push({ kind: 'saw', actor, text });
  }

  note(text: string): void {
    this.push({ kind: 'note', text });
  }

  /** A check the demo makes; a false one fails the run. Returns `ok`. */
  check(ok: boolean, text: string): boolean {
    this.push({ kind: ok ? 'pass' : 'fail', text });
    return ok;
  }

  get failures(): TranscriptLine[] {
    return this.lines.filter((l) => l.kind === 'fail');
  }

  /** Every line as printed, without the time column (stable text for tests). */
  plain(): string[] {
    return this.lines.map((l) => formatLine(l, false));
  }
}

export function formatLine(l: TranscriptLine, withTime = true): string {
  const time = withTime ? `[${l.at.toFixed(2).padStart(6)}s] ` : '';
  switch (l.kind) {
    case 'section':
      return `\n${time}== ${l.text} ==`;
    case 'act':
      return `${time}${padEnd(l.actor ?? '', ACTOR_COLUMNS)} >> ${l.text}`;
    case 'saw':
      return `${time}${padEnd(l.actor ?? '', ACTOR_COLUMNS)} << ${l.text}`;
    case 'note':
      return `${time}${' '.repeat(ACTOR_COLUMNS)}    ${l.text}`;
    case 'pass':
      return `${time}PASS  ${l.text}`;
    case 'fail':
      return `${time}FAIL  ${l.text}`;
  }
}
