import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToyVocabulary } from '../../indexing/test-utils/toy-vocabulary.js';
import { StringTokenClasses } from './string-tokens.js';
import { VocabularyTrie } from './vocabulary-trie.js';

const vocab = new ToyVocabulary(['ab', 'é', Uint8Array.of(0xe4), '\\u', 'x"}', '""', 'a\\q']);
const classes = StringTokenClasses.of(new VocabularyTrie(vocab));
/** The id of a piece that is one token of the vocabulary (single bytes are ids 0..255). */
const id = (piece: string): number => {
  const ids = vocab.encode(piece);
  assert.equal(ids.length, 1, piece);
  return ids[0]!;
};

function insideOf(tokenId: number): { chars: number; endMode: number } | undefined {
  const i = classes.insideIds.indexOf(tokenId);
  return i === -1 ? undefined : { chars: classes.insideChars[i]!, endMode: classes.insideEndMode[i]! };
}

test('tokens that stay inside a string record their characters and the mode they end in', () => {
  assert.deepEqual(insideOf(id('ab')), { chars: 2, endMode: 0 });
  assert.deepEqual(insideOf(id('é')), { chars: 1, endMode: 0 });
  assert.deepEqual(insideOf(0xe4), { chars: 1, endMode: 8 }, 'a UTF-8 lead byte leaves two continuation bytes due');
  assert.deepEqual(insideOf(id('\\u')), { chars: 1, endMode: 2 }, 'an escape waiting for its first hex digit');
});

test('tokens that close a string record the characters before the quote and the bytes after it', () => {
  const at = (tokenId: number): [number, string] => {
    const i = classes.closingIds.indexOf(tokenId);
    return [classes.closingChars[i]!, new TextDecoder().decode(classes.closingRest[i]!)];
  };
  assert.deepEqual(at(id('x"}')), [1, '}']);
  assert.deepEqual(at(id('""')), [0, '"']);
  assert.deepEqual(at(0x22), [0, '']);
});

test('tokens never valid inside a string are in neither class', () => {
  for (const bad of [id('a\\q'), 0x0a, 0x80]) {
    assert.equal(classes.insideIds.indexOf(bad), -1);
    assert.equal(classes.closingIds.indexOf(bad), -1);
  }
});
