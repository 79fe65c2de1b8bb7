// npm run redact -- --jsonl [--policy policy.json] [--reference-date YYYY-MM-DD]
//
// Reads JSON lines {"text": "..."} on stdin and writes one line per input, in order:
//   {"text": <redacted>, "findings": [{"type","start","end","score","action"}]}
// A line that is not a JSON object with a string "text" gets
//   {"error": {"code", "message"}}
// on its own line; the rest continue and the exit status is 1 at the end. Original values
// are never echoed (findings carry offsets only; error messages never quote the input).
// Default policy: mask every entity type. crypto/ does no I/O, so this shell lives here.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isE2eeError } from '../crypto/src/errors';
import { compilePolicy, redactCompiled } from '../crypto/src/redact/redact';
import { decodePolicy, defaultPolicy } from '../crypto/src/redact/policy';

/** Longest input line accepted, in UTF-16 code units. */
const MAX_LINE_LENGTH = 1 << 20;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run redact -- --jsonl [--policy policy.json] [--reference-date YYYY-MM-DD]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { policyPath?: string; referenceDate: string } {
  let jsonl = false;
  let policyPath: string | undefined;
  let referenceDate = new Date().toISOString().slice(0, 10);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--jsonl') jsonl = true;
    else if (a === '--policy') policyPath = argv[++i] ?? usage('--policy needs a file');
    else if (a === '--reference-date') referenceDate = argv[++i] ?? usage('--reference-date needs a date');
    else usage(`unknown argument ${a}`);
  }
  if (!jsonl) usage('only --jsonl mode is supported');
  return { policyPath, referenceDate };
}

function errorLine(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let policy = defaultPolicy();
  if (args.policyPath) {
    try {
      policy = decodePolicy(JSON.parse(readFileSync(args.policyPath, 'utf8')));
    } catch (e) {
      usage(`bad policy file: ${isE2eeError(e) ? e.message : 'not readable JSON'}`);
    }
  }
  let compiled;
  try {
    compiled = compilePolicy(policy, { referenceDate: args.referenceDate });
  } catch (e) {
    usage(`bad policy: ${e instanceof Error ? e.message : 'invalid'}`);
  }
  let failed = false;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    let out: string;
    if (line.length > MAX_LINE_LENGTH) {
      out = errorLine('E2E_ERR_TOO_LARGE', `line longer than ${MAX_LINE_LENGTH} characters`);
    } else {
      let value: unknown;
      let parsed = true;
      try {
        value = JSON.parse(line);
      } catch {
        parsed = false;
      }
      if (!parsed) out = errorLine('E2E_ERR_MALFORMED', 'line is not JSON');
      else if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { text?: unknown }).text !== 'string') {
        out = errorLine('E2E_ERR_BAD_INPUT', 'expected an object with a string "text"');
      } else {
        const r = redactCompiled((value as { text: string }).text, compiled);
        out = JSON.stringify({
          text: r.text,
          findings: r.findings.map((f) => ({ type: f.type, start: f.start, end: f.end, score: f.score, action: f.action })),
        });
      }
    }
    if (out.startsWith('{"error"')) failed = true;
    if (!process.stdout.write(out + '\n')) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
