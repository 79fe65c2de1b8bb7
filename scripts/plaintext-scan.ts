// Plaintext scanner: searches files (a relay's database, its -wal and -shm files, blob
// storage, logs) for known plaintexts in every encoding a leak could take: UTF-8,
// UTF-16LE, hex (lower and upper case) and base64 (standard and URL-safe, at each of the
// three alignments a substring can have inside a longer base64 text).
//
//   npx tsx scripts/plaintext-scan.ts --needle "text" [--needle ...] <file or directory> ...
//   tsx scripts/plaintext-scan.ts --needle-file needles.txt data/relay/
//
// Exit code 1 when any needle is found. Findings name the needle by index and the
// encoding, never the needle itself, so the report leaks nothing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Encoding = 'utf8' | 'utf16le' | 'hex' | 'HEX' | 'base64' | 'base64url';

export interface Finding {
  file: string;
  needle: number;
  encoding: Encoding;
  offset: number;
}

/** The byte patterns that reveal `needle` in each encoding. */
export function patternsOf(needle: string | Uint8Array): { encoding: Encoding; bytes: Buffer }[] {
  const raw = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : Buffer.from(needle);
  if (raw.length < 4) throw new RangeError('needles shorter than 4 bytes match by chance; use longer ones');
  const out: { encoding: Encoding; bytes: Buffer }[] = [
    { encoding: 'utf8', bytes: raw },
    { encoding: 'hex', bytes: Buffer.from(raw.toString('hex'), 'latin1') },
    { encoding: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase(), 'latin1') },
  ];
  if (typeof needle === 'string') out.push({ encoding: 'utf16le', bytes: Buffer.from(needle, 'utf16le') });
  // Inside a longer base64 text the needle starts at byte offset 0, 1 or 2 of a 3-byte group;
  // encode it behind 0..2 filler bytes and keep only the characters that depend on it alone.
  for (const [encoding, alphabet] of [
    ['base64', 'base64'],
    ['base64url', 'base64url'],
  ] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const padded = Buffer.concat([Buffer.alloc(shift), raw]);
      const text = padded.toString(alphabet).replace(/=+$/, '');
      const startChars = Math.ceil((shift * 8) / 6) + (shift ? 1 : 0);
      const usableBytes = Math.floor((padded.length) / 3) * 3;
      const endChars = (usableBytes / 3) * 4;
      const core = text.slice(startChars, endChars);
      if (core.length >= 4) out.push({ encoding, bytes: Buffer.from(core, 'latin1') });
    }
  }
  return out;
}

function filesUnder(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  if (!st.isDirectory()) return [];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

/** Scans every file under `paths` for every needle in every encoding. */
export function scanForPlaintexts(paths: readonly string[], needles: readonly (string | Uint8Array)[]): Finding[] {
  const patterns = needles.map((n) => patternsOf(n));
  const findings: Finding[] = [];
  for (const file of paths.flatMap(filesUnder)) {
    const data = readFileSync(file);
    patterns.forEach((list, needle) => {
      for (const { encoding, bytes } of list) {
        const offset = data.indexOf(bytes);
        if (offset >= 0) findings.push({ file, needle, encoding, offset });
      }
    });
  }
  return findings;
}

function main(argv: string[]): number {
  const needles: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--needle') needles.push(argv[++i] ?? '');
    else if (a === '--needle-file') needles.push(...readFileSync(argv[++i] ?? '', 'utf8').split('\n').filter((l) => l.length > 0));
    else paths.push(a);
  }
  if (needles.length === 0 || paths.length === 0) {
    process.stderr.write('usage: plaintext-scan --needle TEXT [--needle TEXT ...] [--needle-file FILE] PATH...\n');
    return 2;
  }
  const findings = scanForPlaintexts(paths, needles);
  for (const f of findings) process.stdout.write(`FOUND needle #${f.needle} as ${f.encoding} in ${f.file} at offset ${f.offset}\n`);
  process.stdout.write(`${findings.length === 0 ? 'clean' : 'LEAK'}: ${needles.length} needles, ${paths.length} paths, ${findings.length} findings\n`);
  return findings.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main(process.argv.slice(2)));
