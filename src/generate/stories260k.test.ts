// Ground truth from llama2.c's own run.c (../shared/models/stories260K/reference.json): the decoder loaded from
// the llama2.c checkpoint and from its GGUF conversion must reproduce run.c's greedy tokens exactly and its logits
// to 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDecoder, loadModel } from '../models/load.js';
import { generate } from './generate.js';

const dir = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const present = existsSync(dir + 'reference.json');

interface ReferenceCase {
  prompt: string;
  steps: number;
  tokens: number[];
  text: string;
  logits_first_3_positions: number[][];
}

const cases = (): ReferenceCase[] => (JSON.parse(readFileSync(dir + 'reference.json', 'utf8')) as { cases: ReferenceCase[] }).cases;

for (const file of ['stories260K.bin', 'stories260K.gguf']) {
  test(`${file}: greedy decoding reproduces llama2.c's tokens and text for every reference case`, async (t) => {
    if (!present) return t.skip('../shared absent');
    const { model, tokenizer } = await loadModel(dir + file);
    for (const c of cases()) {
      const prompt = tokenizer.encode(c.prompt, { addBos: true });
      assert.deepEqual(prompt, c.tokens.slice(0, prompt.length), `prompt tokens of "${c.prompt}"`);
      // run.c runs `steps` positions in all and stops early when it samples BOS.
      const [result] = generate(model, [prompt], { maxTokens: c.steps + 1 - prompt.length, stopTokens: [1], decoder: tokenizer });
      assert.deepEqual([...prompt, ...result!.tokens], c.tokens, `tokens of "${c.prompt}"`);
      assert.equal(tokenizer.decode([...prompt.slice(1), ...result!.tokens]), c.text);
    }
  });

  test(`${file}: logits at the first three positions match llama2.c to 1e-4`, async (t) => {
    if (!present) return t.skip('../shared absent');
    const { model } = loadDecoder(dir + file);
    for (const c of cases()) {
      const logits = model.logitsAt(c.tokens.slice(0, 3));
      let worst = 0;
      c.logits_first_3_positions.forEach((row, p) => row.forEach((v, i) => (worst = Math.max(worst, Math.abs(logits[p * 512 + i]! - v)))));
      assert.ok(worst < 1e-4, `"${c.prompt}": max |logit difference| ${worst}`);
    }
  });
}
