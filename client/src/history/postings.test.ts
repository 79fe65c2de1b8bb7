import { describe, expect, it } from 'vitest';
import { Delta, emptyNumeric, emptyStrings, NumericTerms, StringTerms } from './postings';

describe('Delta (the index tier since the last merge)', () => {
  it('lists each key\'s docs in the order added, after a given base slice, and nothing for an unknown key', () => {
    const d = new Delta<number>();
    d.add(7, 10);
    d.add(9, 10);
    d.add(7, 11);
    d.add(7, 14);
    expect([...d.list(7)]).toEqual([10, 11, 14]);
    expect([...d.list(9, Int32Array.of(1, 2))]).toEqual([1, 2, 10]);
    const base = Int32Array.of(3);
    expect(d.list(8, base)).toBe(base);
    expect(d.list(8).length).toBe(0);
    expect(d.keys).toEqual([7, 9]);
    expect(d.size).toBe(4);
  });

  it('agrees with a plain map of arrays over thousands of pairs (its storage grows several times)', () => {
    const d = new Delta<string>();
    const plain = new Map<string, number[]>();
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let doc = 0; doc < 3000; doc++) {
      for (let t = 0; t < 1 + (next() % 6); t++) {
        const key = `k${next() % 400}`;
        const list = plain.get(key) ?? [];
        if (list.at(-1) === doc) continue; // a term is indexed once per document
        list.push(doc);
        plain.set(key, list);
        d.add(key, doc);
      }
    }
    expect(d.keys.length).toBe(plain.size);
    for (const [key, list] of plain) expect([...d.list(key)]).toEqual(list);
  });

  it('merges into a base with the same postings as before the merge', () => {
    const cjk = new NumericTerms(emptyNumeric());
    const words = new StringTerms(emptyStrings());
    for (let doc = 0; doc < 50; doc++) {
      cjk.delta.add(2 ** 40 + (doc % 7), doc);
      words.delta.add(`w${doc % 5}`, doc);
    }
    const before = [0, 1, 6].map((k) => [...cjk.lookup(2 ** 40 + k)]);
    const merged = new NumericTerms(cjk.merge((d) => d));
    expect([0, 1, 6].map((k) => [...merged.lookup(2 ** 40 + k)])).toEqual(before);
    const mergedWords = new StringTerms(words.merge((d) => (d % 2 === 0 ? d : -1)));
    expect(mergedWords.lookupPrefix('w1').map((l) => [...l])).toEqual([[...words.lookupPrefix('w1')[0]!].filter((d) => d % 2 === 0)]);
    expect(mergedWords.termCount()).toBe(5);
  });
});
