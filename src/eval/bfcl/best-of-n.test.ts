// Best-of-N: the documented selection rule on hand-made candidates, and the runner keeping exactly the answer the
// rule picks among the samples it drew (re-drawn here with the same seed and scored with the model's log-probs).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { generate } from '../../generate/generate.js';
import { DecoderModel, IGNORE_INDEX } from '../../models/decoder.js';
import type { DecoderConfig } from '../../models/config.js';
import { noGrad } from '../../tensor/autograd.js';
import { trainScratchTokenizer } from '../../train/scratch.js';
import { selectBestOfN, wellFormedAnswer } from './best-of-n.js';
import { loadCategory, type BfclEntry } from './dataset.js';
import { bfclPromptIds, bfclStopTokens, generateBfclAnswers, type BfclRunnerModel } from './runner.js';

const entry: BfclEntry = {
  id: 'simple_python_0', category: 'simple_python',
  functions: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'dict', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } }],
};

test('well-formed: decodes to calls of offered functions that give every required parameter', () => {
  assert.ok(wellFormedAnswer(entry, "[get_weather(city='Paris')]", 'prompting'));
  assert.ok(wellFormedAnswer(entry, "[get_weather(city='Paris', days=2, wind=1)]", 'prompting'), 'extra arguments are the checker\'s business');
  assert.ok(!wellFormedAnswer(entry, "[get_weather(days=2)]", 'prompting'));
  assert.ok(!wellFormedAnswer(entry, "[get_news(city='Paris')]", 'prompting'));
  assert.ok(!wellFormedAnswer(entry, '[]', 'prompting'));
  assert.ok(!wellFormedAnswer(entry, "```python\n[get_weather(city='Paris')]\n```", 'prompting'), 'the official prompting reading does not unwrap a python fence');
  assert.ok(wellFormedAnswer(entry, '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>', 'fc'));
});

test('the most probable well-formed answer wins; with none, the most probable of all; ties go to the earlier one', () => {
  const c = (text: string, logProb: number) => ({ text, logProb });
  const bad = c('get_weather(', -1);
  assert.equal(selectBestOfN(entry, [bad, c("[get_weather(city='A')]", -9), c("[get_weather(city='B')]", -4)], 'prompting'), 2);
  assert.equal(selectBestOfN(entry, [c('no', -7), bad, c('[x(]', -3)], 'prompting'), 1);
  assert.equal(selectBestOfN(entry, [c("[get_weather(city='A')]", -2), c("[get_weather(city='B')]", -2)], 'prompting'), 0);
  assert.throws(() => selectBestOfN(entry, [], 'prompting'), /no candidate/);
});

const dataDir = fileURLToPath(new URL('../../../../shared/datasets/bfcl', import.meta.url));

test('the runner keeps the answer the rule picks among its samples, and repairs the kept one', { skip: existsSync(dataDir) ? false : '../shared absent' }, () => {
  const entries = loadCategory(dataDir, 'simple_python').slice(0, 2);
  const tokenizer = trainScratchTokenizer(entries.map((e) => JSON.stringify(e.turns) + JSON.stringify(e.functionSource ?? [])), 300);
  const config: DecoderConfig = {
    family: 'llama', vocabSize: tokenizer.vocabSize, dim: 32, layers: 1, heads: 2, kvHeads: 1, headDim: 16, hiddenDim: 64, normEps: 1e-6,
    ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: true, maxPositions: 4096, bosTokenId: null, eosTokenIds: [tokenizer.eosId!],
  };
  const decoder = DecoderModel.random(config, 3);
  const model: BfclRunnerModel = { model: decoder, tokenizer, config };
  const options = { mode: 'prompting' as const, bestOf: 3, temperature: 1, seed: 5, maxTokens: 10, batchSize: 2 };
  const answers = generateBfclAnswers(model, entries, options);
  // The same draw by hand: each question's prompt three times, the runner's seed and stop tokens.
  const prompts = entries.map((e) => bfclPromptIds(model, e, 'prompting'));
  const repeated = prompts.flatMap((p) => [p, p, p]);
  const stopTokens = bfclStopTokens(model);
  const samples = generate(decoder, repeated, { maxTokens: 10, stopTokens, decoder: tokenizer, temperature: 1, seed: 5 });
  const logProb = (prompt: readonly number[], tokens: readonly number[]): number => {
    const ids = Int32Array.from([...prompt, ...tokens]);
    const targets = Int32Array.from(ids, (_, i) => (i + 1 < prompt.length || i + 1 >= ids.length ? IGNORE_INDEX : ids[i + 1]!));
    return noGrad(() => decoder.sequenceLogProbs(ids, targets, 1, ids.length).toArray()[0]!);
  };
  entries.forEach((e, q) => {
    const group = samples.slice(3 * q, 3 * q + 3).map((s) => {
      const tokens = s.finishReason === 'eos' ? [...s.tokens, tokenizer.eosId!] : s.tokens;
      return { text: tokenizer.decode(s.tokens), logProb: logProb(prompts[q]!, tokens) };
    });
    const picked = group[selectBestOfN(e, group, 'prompting')]!;
    assert.equal(answers[q]!.result, picked.text);
    assert.equal(answers[q]!.wellFormed, group.filter((c) => wellFormedAnswer(e, c.text, 'prompting')).length);
  });
  const repaired = generateBfclAnswers(model, entries, { ...options, repair: true });
  repaired.forEach((a) => assert.equal(typeof a.raw, 'string'));
  assert.throws(() => generateBfclAnswers(model, entries, { mode: 'fc', constrained: true, bestOf: 2 }), /constrained decoding is greedy/);
});
