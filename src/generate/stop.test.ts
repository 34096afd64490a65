import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopStringMatcher, TextStream } from './stop.js';

test('text is released as soon as it cannot start a stop string', () => {
  const m = new StopStringMatcher(['</call>']);
  assert.equal(m.push('hello '), 'hello ');
  assert.equal(m.push('wor<'), 'wor');
  assert.equal(m.push('b>'), '<b>');
  assert.equal(m.stopped, false);
});

test('a stop string split across pieces stops generation and is not emitted', () => {
  const m = new StopStringMatcher(['</call>', '\n\n']);
  assert.equal(m.push('{"a":1}</ca'), '{"a":1}');
  assert.equal(m.push('ll>trailing'), '');
  assert.equal(m.stopped, true);
  assert.equal(m.push('more'), '');
  assert.equal(m.flush(), '');
});

test('the earliest of several stop strings wins', () => {
  const m = new StopStringMatcher(['END', 'x']);
  assert.equal(m.push('abxcdEND'), 'ab');
});

test('held-back text is released by flush when generation ends otherwise', () => {
  const m = new StopStringMatcher(['STOP']);
  assert.equal(m.push('ends with ST'), 'ends with ');
  assert.equal(m.flush(), 'ST');
});

test('TextStream holds back an unfinished UTF-8 character until it completes', () => {
  // A decoder over raw bytes: token i is byte i, decoded as UTF-8 with replacement characters.
  const decoder = { decode: (ids: readonly number[]) => Buffer.from(ids).toString('utf8') };
  const stream = new TextStream(decoder);
  const euro = [...Buffer.from('€')]; // three bytes
  assert.equal(stream.push('a'.charCodeAt(0)), 'a');
  assert.equal(stream.push(euro[0]!), '');
  assert.equal(stream.push(euro[1]!), '');
  assert.equal(stream.push(euro[2]!), '€');
  assert.equal(stream.flush(), '');
});

test('TextStream keeps the spaces a SentencePiece decoder drops at the start of a window', () => {
  const pieces = ['▁Once', '▁upon', '▁a', '▁time', ','];
  // Like SentencePiece: '▁' is a space, and the first piece of any decoded sequence loses its leading space.
  const decoder = { decode: (ids: readonly number[]) => ids.map((i) => pieces[i]!).join('').replaceAll('▁', ' ').replace(/^ /, '') };
  const stream = new TextStream(decoder);
  const out = [0, 1, 2, 3, 4].map((id) => stream.push(id));
  assert.deepEqual(out, ['Once', ' upon', ' a', ' time', ',']);
});
