// Scores the redactor against the labelled corpus (docs/REDACTION.md "Evaluation").
// A finding is a true positive when it overlaps a label of the same type; a label is
// recalled when a finding of its type overlaps it. "Visible" counts labelled characters
// that no finding covers at all (what a reader of the upload would still see, ignoring
// the characters a mask keeps on purpose).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../../src/redact/redact';
import { defaultPolicy } from '../../src/redact/policy';

export interface Label {
  type: string;
  start: number;
  end: number;
}
export interface Sample {
  text: string;
  entities: Label[];
}

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

export function loadCorpus(name: string): Sample[] {
  return readFileSync(join(CORPUS, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Sample);
}

/** Types reported under one name in the table: both IP versions count as themselves, CN_ID15 separately. */
export interface TypeStats {
  type: string;
  labels: number;
  recalled: number;
  findings: number;
  truePositives: number;
  labelChars: number;
  visibleChars: number;
  precision: number;
  recall: number;
  visible: number;
}

export interface Evaluation {
  perType: TypeStats[];
  negatives: { messages: number; changed: number; fraction: number };
}

/** Fixed reference date so the evaluation is deterministic. */
export const EVAL_REFERENCE_DATE = '2026-01-01';

export function evaluate(positive: Sample[], negatives: Sample[]): Evaluation {
  const policy = { ...defaultPolicy(), referenceDate: EVAL_REFERENCE_DATE };
  const stats = new Map<string, TypeStats>();
  const get = (type: string): TypeStats => {
    let s = stats.get(type);
    if (!s) {
      s = { type, labels: 0, recalled: 0, findings: 0, truePositives: 0, labelChars: 0, visibleChars: 0, precision: 1, recall: 1, visible: 0 };
      stats.set(type, s);
    }
    return s;
  };
  const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;
  for (const sample of [...positive, ...negatives]) {
    const { findings } = redact(sample.text, policy);
    for (const f of findings) {
      const s = get(f.type);
      s.findings++;
      if (sample.entities.some((l) => l.type === f.type && overlaps(l, f))) s.truePositives++;
    }
    for (const l of sample.entities) {
      const s = get(l.type);
      s.labels++;
      if (findings.some((f) => f.type === l.type && overlaps(l, f))) s.recalled++;
      s.labelChars += l.end - l.start;
      for (let i = l.start; i < l.end; i++) if (!findings.some((f) => f.start <= i && i < f.end)) s.visibleChars++;
    }
  }
  let changed = 0;
  for (const sample of negatives) if (redact(sample.text, policy).text !== sample.text) changed++;
  const perType = [...stats.values()].sort((a, b) => a.type.localeCompare(b.type));
  for (const s of perType) {
    s.precision = s.findings ? s.truePositives / s.findings : 1;
    s.recall = s.labels ? s.recalled / s.labels : 1;
    s.visible = s.labelChars ? s.visibleChars / s.labelChars : 0;
  }
  return { perType, negatives: { messages: negatives.length, changed, fraction: changed / negatives.length } };
}

export function formatTable(e: Evaluation): string {
  const rows = ['| type | labels | findings | precision | recall | PII chars left visible |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const s of e.perType) {
    rows.push(`| ${s.type} | ${s.labels} | ${s.findings} | ${s.precision.toFixed(4)} | ${s.recall.toFixed(4)} | ${(s.visible * 100).toFixed(2)} % |`);
  }
  rows.push('');
  rows.push(`Hard negatives: ${e.negatives.changed} of ${e.negatives.messages} messages changed (${(e.negatives.fraction * 100).toFixed(3)} %).`);
  return rows.join('\n');
}
