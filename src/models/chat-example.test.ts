import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChatTrainingExample } from './chat-example.js';
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';

const tokenizer = trainByteLevelBpe(['hello there, what is the weather? it is sunny today.'], {
  vocabSize: 300, specialTokens: ['<|im_start|>', '<|im_end|>'],
});
const messages: ChatMessage[] = [
  { role: 'system', content: 'be brief' },
  { role: 'user', content: 'weather?' },
  { role: 'assistant', content: 'sunny' },
  { role: 'user', content: 'today?' },
  { role: 'assistant', content: 'yes' },
];

test('only assistant turns (content and end-of-turn marker) carry labels; everything else is -100', () => {
  const { inputIds, labels } = buildChatTrainingExample(tokenizer, messages);
  assert.equal(inputIds.length, labels.length);
  const labelledText = tokenizer.decode(labels.filter((l) => l !== -100));
  assert.equal(labelledText, 'sunny<|im_end|>\nyes<|im_end|>\n');
  assert.equal(
    tokenizer.decode(inputIds),
    '<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nweather?<|im_end|>\n<|im_start|>assistant\nsunny<|im_end|>\n' +
      '<|im_start|>user\ntoday?<|im_end|>\n<|im_start|>assistant\nyes<|im_end|>\n',
  );
  // Labelled positions hold exactly the input ids they sit on.
  labels.forEach((l, i) => assert.ok(l === -100 || l === inputIds[i]));
});

test('the rendered conversation tokenises the same whole or in turn pieces', () => {
  const { inputIds } = buildChatTrainingExample(tokenizer, messages);
  const whole = tokenizer.encode(tokenizer.decode(inputIds));
  assert.deepEqual(inputIds, whole);
});

test('a conversation without an assistant turn is refused', () => {
  assert.throws(() => buildChatTrainingExample(tokenizer, messages.slice(0, 2)), /needs at least one assistant message/);
});
