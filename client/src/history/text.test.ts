import { describe, expect, it } from 'vitest';
import { bigramKey, indexTerms, normalize, parseQuery, segment, unigramKey } from './text';

describe('normalize', () => {
  it('folds full-width ASCII and the ideographic space, and lower-cases', () => {
    expect(normalize('ＨｅｌｌｏＷＯＲＬＤ１２３！')).toBe('helloworld123!');
    expect(normalize('微信\u3000群聊')).toBe('微信 群聊');
    expect(normalize('Hello 世界')).toBe('hello 世界');
  });
});

describe('segment', () => {
  it('splits mixed text into CJK runs and words, dropping punctuation and emoji', () => {
    const { cjkRuns, words } = segment(normalize('明天3点在医院开meeting，OK吗？😀 café'));
    expect(cjkRuns.map((r) => String.fromCodePoint(...r))).toEqual(['明天', '点在医院开', '吗']);
    expect(words).toEqual(['3', 'meeting', 'ok', 'café']);
  });

  it('keeps supplementary-plane ideographs whole and treats kana and hangul as CJK', () => {
    const { cjkRuns } = segment('𠮷野家のラーメン 한국어');
    expect(cjkRuns.map((r) => String.fromCodePoint(...r))).toEqual(['𠮷野家のラーメン', '한국어']);
  });
});

describe('indexTerms and parseQuery', () => {
  it('indexes every CJK unigram and bigram once, and every word once', () => {
    const t = indexTerms('医院医院 go go');
    const [yi, yuan] = ['医'.codePointAt(0)!, '院'.codePointAt(0)!];
    expect(new Set(t.cjk)).toEqual(new Set([unigramKey(yi), unigramKey(yuan), bigramKey(yi, yuan), bigramKey(yuan, yi)]));
    expect(t.cjk.length).toBe(4);
    expect(t.cjk).toEqual([...t.cjk].sort((a, b) => a - b));
    expect(t.words).toEqual(['go']);
  });

  it('bigram keys never collide with unigram keys', () => {
    expect(bigramKey(0x3040, 0)).toBeGreaterThan(unigramKey(0x10ffff));
    expect(bigramKey(0x4e00, 0x4e01)).not.toBe(bigramKey(0x4e01, 0x4e00));
  });

  it('parses a query into distinct CJK pieces and word prefixes', () => {
    const q = parseQuery('  医院 Meeting 医院，ＯＫ ');
    expect(q.cjk.map((p) => p.text)).toEqual(['医院']);
    expect(q.words).toEqual(['meeting', 'ok']);
    expect(parseQuery('！？ 😀').cjk.length + parseQuery('！？ 😀').words.length).toBe(0);
  });
});

describe('history UTF-8 codec', () => {
  it('decodes strictly: invalid bytes give null, a real U+FFFD survives', async () => {
    const { decodeUtf8, encodeUtf8 } = await import('./utf8');
    expect(decodeUtf8(encodeUtf8('医院 ok 😀'))).toBe('医院 ok 😀');
    expect(decodeUtf8(encodeUtf8('a\uFFFDb'))).toBe('a\uFFFDb');
    for (const bad of [[0xff], [0xe5, 0x8c], [0xc0, 0x80], [0xed, 0xa0, 0x80]]) expect(decodeUtf8(new Uint8Array(bad))).toBeNull();
  });
});
