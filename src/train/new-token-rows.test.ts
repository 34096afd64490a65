import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { expandVocabulary, trainNewTokenRows } from '../models/vocabulary.js';
import { applyLora } from '../models/lora.js';
import { defaultSftConfig, SftObjective } from './objectives/sft.js';
import { Trainer } from './trainer.js';
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import { refBackend } from '../tensor/backends/ref.js';
import { withBackend } from '../tensor/backends/index.js';

const corpus = ['get the weather in paris', 'send an email to bob', 'get weather now, send email later'];

function setup(tied: boolean) {
  const tokenizer = trainByteLevelBpe(corpus, { vocabSize: 280 });
  const config: DecoderConfig = {
    family: 'llama', vocabSize: tokenizer.vocabSize, dim: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, hiddenDim: 32,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: tied, maxPositions: 32, bosTokenId: null, eosTokenIds: [],
  };
  return { tokenizer, model: DecoderModel.random(config, 11, 0.2, refBackend) };
}

const newTokens = [
  { token: '<<get_weather>>', initText: 'get weather' },
  { token: '<<send_email>>', initText: 'send email' },
];

for (const tied of [false, true]) {
  test(`${tied ? 'tied' : 'untied'}: new tokens get the next ids, old tokens' logits are unchanged at init`, () => {
    const { tokenizer, model } = setup(tied);
    const oldVocab = model.config.vocabSize;
    const prompt = tokenizer.encode('get the weather');
    const before = model.logitsAt(prompt);
    const { model: grown, tokenIds, newRows } = expandVocabulary(model, tokenizer, newTokens);
    assert.deepEqual(tokenIds, [oldVocab, oldVocab + 1]);
    assert.deepEqual(newRows, { start: oldVocab, end: oldVocab + 2 });
    assert.equal(grown.config.vocabSize, oldVocab + 2);
    assert.deepEqual(tokenizer.encode('<<send_email>>'), [oldVocab + 1]);
    const after = grown.logitsAt(prompt);
    for (let p = 0; p < prompt.length; p++) {
      assert.deepEqual(after.subarray(p * (oldVocab + 2), p * (oldVocab + 2) + oldVocab), before.subarray(p * oldVocab, (p + 1) * oldVocab));
    }
  });
}

test('a new input row is the mean of the embeddings of its init text sub-tokens (ToolGen)', () => {
  const { tokenizer, model } = setup(false);
  const parts = tokenizer.encode('send email');
  const { model: grown, tokenIds } = expandVocabulary(model, tokenizer, newTokens);
  const table = grown.embedTokens.toArray();
  const dim = 16;
  for (let j = 0; j < dim; j++) {
    const mean = parts.reduce((s, id) => s + table[id * dim + j]!, 0) / parts.length;
    assert.ok(Math.abs(table[tokenIds[1]! * dim + j]! - mean) < 1e-6);
  }
});

test('training only the new rows plus LoRA leaves every base row of the embedding and LM head untouched', () => {
  withBackend(refBackend, () => {
    const { tokenizer, model } = setup(false);
    const { model: grown, tokenIds, newRows } = expandVocabulary(model, tokenizer, newTokens);
    applyLora(grown, { rank: 2, alpha: 4, targetModules: ['q_proj', 'v_proj'] });
    trainNewTokenRows(grown, newRows);
    const embedBefore = grown.embedTokens.toArray();
    const headBefore = grown.outputWeight.toArray();
    const example = [...tokenizer.encode('what is the weather'), tokenIds[0]!];
    const config = { ...defaultSftConfig, lr: 1e-2, schedule: 'constant' as const, warmup: 0 };
    const objective = new SftObjective({ model: grown, train: [{ inputIds: example, labels: example }], settings: config });
    const trainer = new Trainer({ model: grown, objective, config });
    for (let i = 0; i < 3; i++) trainer.step(objective.batches(0));
    trainer.dispose();
    const rowSize = 16 * newRows.start;
    const embedAfter = grown.embedTokens.toArray();
    const headAfter = grown.outputWeight.toArray();
    assert.deepEqual(embedAfter.subarray(0, rowSize), embedBefore.subarray(0, rowSize));
    assert.deepEqual(headAfter.subarray(0, rowSize), headBefore.subarray(0, rowSize));
    assert.notDeepEqual(headAfter.subarray(rowSize), headBefore.subarray(rowSize));
    assert.deepEqual(grown.trainableParameters().map(([n]) => n).filter((n) => !/lora/.test(n)), ['embedTokens', 'lmHead.weight']);
  });
});
