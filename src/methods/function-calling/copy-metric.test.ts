import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatCopyProbe, copyAccuracy, pretrainingCopyProbe } from './copy-metric.js';
import { tinyExamples, tinyModel, tinyRender, tinySftModel, tinyTokenizer, weatherExample } from './testing/tiny-fc.js';

const tokenizer = tinyTokenizer();

test('probes: the stated values, and the answer starting at the calls (pretraining text) or the labelled turn (SFT)', () => {
  const example = weatherExample('Paris', 3);
  const chat = chatCopyProbe(tokenizer, example, tinyRender)!;
  assert.deepEqual(chat.values, ['Paris', '3']);
  assert.match(tokenizer.decode(chat.ids.slice(chat.answerFrom)), /^\[get_weather\(city='Paris', days=3\)\]/);
  const doc = pretrainingCopyProbe(tokenizer, example, 512)!;
  assert.match(tokenizer.decode(doc.ids.slice(doc.answerFrom)), /^\{"name":"get_weather","arguments":\{"city":"Paris","days":3\}\}$/);
  assert.equal(chatCopyProbe(tokenizer, { ...example, messages: [{ role: 'user', content: 'Weather?' }, example.messages[1]!] }, tinyRender), undefined);
});

test('an untrained model copies almost nothing; after SFT on the examples it copies nearly every value of them', async () => {
  const probes = tinyExamples.map((e) => chatCopyProbe(tokenizer, e, tinyRender)!);
  const before = copyAccuracy(tinyModel(tokenizer), tokenizer, probes);
  assert.equal(before.values, 8);
  assert.ok(before.tokens >= 8);
  assert.ok(before.valuesCopied <= 2, JSON.stringify(before));
  const { model } = await tinySftModel(tokenizer, 100, 'full', 2e-2);
  const after = copyAccuracy(model, tokenizer, probes);
  assert.equal(after.tokens, before.tokens);
  assert.ok(after.valuesCopied >= 6 && after.tokensCopied >= 6, JSON.stringify(after));
});
