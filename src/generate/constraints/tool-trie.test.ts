import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolTrie } from './tool-trie.js';

const END = 0;
const trie = new ToolTrie(
  [
    { toolId: 'short', tokens: [5, 6] },
    { toolId: 'long', tokens: [5, 6, 7] },
    { toolId: 'other', tokens: [5, 8] },
    { toolId: 'single', tokens: [9] },
  ],
  END,
);

test('at each step only ids that continue an allowed tool are allowed', () => {
  assert.deepEqual(trie.allowedAfter(trie.root).sort((a, b) => a - b), [5, 9]);
  assert.deepEqual(trie.allowedAfter(trie.walk([5])!).sort((a, b) => a - b), [6, 8]);
  assert.equal(trie.walk([5, 7]), undefined);
  assert.equal(trie.size, 4);
});

test('after a complete tool with no longer continuation only the terminator is allowed', () => {
  assert.deepEqual(trie.allowedAfter(trie.walk([5, 8])!), [END]);
  assert.deepEqual(trie.allowedAfter(trie.walk([9])!), [END]);
});

test('a tool that is a prefix of another may end (terminator) or continue', () => {
  assert.deepEqual(trie.allowedAfter(trie.walk([5, 6])!), [7, END]);
  assert.equal(trie.toolOf([5, 6, END]), 'short');
  assert.equal(trie.toolOf([5, 6, 7, END]), 'long');
  assert.equal(trie.toolOf([5]), undefined);
});

test('the logits processor keeps allowed logits and sets every other id to -Infinity', () => {
  const process = trie.processor();
  const logits = Float32Array.from({ length: 10 }, (_, i) => i);
  process(logits, [5, 6]);
  assert.deepEqual([...logits], [0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 7, -Infinity, -Infinity]);
  const lost = Float32Array.from({ length: 10 }, () => 1);
  process(lost, [4]);
  assert.deepEqual([...lost], [1, ...Array(9).fill(-Infinity)]);
});

test('bad tool sets are refused with the tools named', () => {
  assert.throws(() => new ToolTrie([{ toolId: 'a', tokens: [1, 0, 2] }], 0), /tool 'a' contains the terminator id 0 inside its sequence/);
  assert.throws(() => new ToolTrie([{ toolId: 'a', tokens: [] }], 0), /tool 'a' has an empty token sequence/);
  assert.throws(
    () => new ToolTrie([{ toolId: 'a', tokens: [1, 2] }, { toolId: 'b', tokens: [1, 2] }], 0),
    /tools 'a' and 'b' have the same token sequence \[1, 2\]/,
  );
});
