import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddedTokenSet } from './added-tokens.js';
import { mergeSymbols } from './merge.js';

describe('mergeSymbols', () => {
  test('merges the lowest-ranked pair first and re-ranks the new neighbours', () => {
    const ranks = new Map([
      ['b c', 0],
      ['a bc', 1],
      ['a b', 2],
    ]);
    assert.deepEqual(mergeSymbols(['a', 'b', 'c'], (l, r) => ranks.get(`${l} ${r}`)), ['abc']);
  });

  test('on equal rank the leftmost pair merges first, so "aaa" becomes "aa","a"', () => {
    assert.deepEqual(mergeSymbols(['a', 'a', 'a'], (l, r) => (l === 'a' && r === 'a' ? 0 : undefined)), ['aa', 'a']);
  });

  test('symbols with no mergeable pair are returned unchanged', () => {
    assert.deepEqual(mergeSymbols(['x', 'y'], () => undefined), ['x', 'y']);
    assert.deepEqual(mergeSymbols([], () => 0), []);
  });
});

describe('AddedTokenSet.split', () => {
  test('cuts text around added tokens, preferring the longest match, with offsets of the plain text', () => {
    const set = new AddedTokenSet([
      { id: 10, content: '<<a>>', special: false },
      { id: 11, content: '<<a>>x', special: false },
    ]);
    assert.deepEqual(set.split('hi <<a>>x and <<a>>'), [{ text: 'hi ', start: 0 }, { id: 11 }, { text: ' and ', start: 9 }, { id: 10 }]);
    assert.deepEqual(set.split(''), []);
  });
});
