// The demo's last step: search every file the relay wrote (database, -wal, -shm, blobs,
// its log) for every plaintext the members handled, in UTF-8, UTF-16LE, hex and base64
// (scripts/plaintext-scan.ts). A control string planted through the same paths must be
// found first, in each encoding it was planted in: a scanner that finds nothing is only
// believable once it has found something.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scanForPlaintexts, type Encoding, type Finding } from '../scripts/plaintext-scan';

export interface ScanInput {
  /** The relay's data directory. */
  dir: string;
  /** The control string, planted in the clear through the relay (database and blobs). */
  control: string;
  /** Encodings the control was planted in; each must be found. */
  controlEncodings: readonly Encoding[];
  /** What must not be there: labels for the report, values to search for. */
  needles: readonly { label: string; value: string | Uint8Array }[];
}

export interface ScanReport {
  files: { path: string; bytes: number }[];
  control: Finding[];
  /** Planted encodings the scanner did not find (must be empty). */
  controlMissed: Encoding[];
  leaks: { label: string; finding: Finding }[];
}

function listFiles(dir: string): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push({ path: p, bytes: st.size });
    }
  };
  walk(dir);
  return out;
}

export function scanRelayFiles(input: ScanInput): ScanReport {
  const files = listFiles(input.dir);
  const control = scanForPlaintexts([input.dir], [input.control]);
  const found = new Set(control.map((f) => f.encoding));
  const controlMissed = input.controlEncodings.filter((e) => !found.has(e));
  const leaks = scanForPlaintexts(
    [input.dir],
    input.needles.map((n) => n.value),
  ).map((finding) => ({ label: input.needles[finding.needle]!.label, finding }));
  return { files: files.map((f) => ({ path: relative(input.dir, f.path) || f.path, bytes: f.bytes })), control, controlMissed, leaks };
}

/** Groups file names for the transcript: "relay.sqlite (96 KB), relay.sqlite-wal (1.2 MB), blobs/ (5 files)". */
export function describeFiles(files: { path: string; bytes: number }[]): string {
  const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`);
  const top = new Map<string, { count: number; bytes: number; dir: boolean }>();
  for (const f of files) {
    const parts = f.path.split(/[\\/]/);
    const key = parts.length > 1 ? `${parts[0]}/` : parts[0]!;
    const cur = top.get(key) ?? { count: 0, bytes: 0, dir: parts.length > 1 };
    cur.count++;
    cur.bytes += f.bytes;
    top.set(key, cur);
  }
  return [...top.entries()].map(([k, v]) => (v.dir ? `${k} (${v.count} files, ${size(v.bytes)})` : `${k} (${size(v.bytes)})`)).join(', ');
}
