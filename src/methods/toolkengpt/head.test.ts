import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseHfConfig } from '../../models/config.js';
import { DecoderModel } from '../../models/decoder.js';
import { seededRandom } from '../../util/random.js';
import { baseIdentity } from './model.js';
import { headFeatures, HeadError, loadHead, saveHead, scoreFiring, trainHead } from './head.js';
import type { TokenizedToolText } from './spans.js';

const tmp = mkdtempSync(join(tmpdir(), 'toolkengpt-head-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tinyModel(seed: number): DecoderModel {
  const config = parseHfConfig({
    model_type: 'llama', vocab_size: 16, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2,
    intermediate_size: 64, max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: true,
  });
  return DecoderModel.random(config, seed, { embedding: 0.5, projection: 0.2 });
}

// Token ids: 0-9 digits, 10 '+', 11 '*', 12 '=', 13 ' '. "a+b=r" calls <add>, "a*b=r" calls <multiply>.
function example(random: () => number): TokenizedToolText {
  const op = random() < 0.5 ? 10 : 11;
  const a = Math.floor(random() * 10);
  const b = Math.floor(random() * 10);
  const ids = [13, a, op, b, 12, Math.floor(random() * 10), Math.floor(random() * 10), 13, a];
  return { ids, spans: [{ start: 5, end: 7, tool: op === 10 ? '<add>' : '<multiply>' }] };
}
const TOOLS = ['<add>', '<multiply>'];

describe('the ToolkenGPT head', () => {
  const model = tinyModel(1);

  test('labels: the token before the result predicts the toolken, the rest of the result is ignored', () => {
    const f = headFeatures(model, { ids: [13, 1, 10, 2, 12, 3, 4, 5, 13], spans: [{ start: 5, end: 8, tool: '<multiply>' }] }, TOOLS);
    // position p predicts token p + 1: position 4 ('=') predicts <multiply> instead of the result's first token;
    // positions 5 and 6 would predict the result's other tokens and are ignored; position 7 predicts ' ' again.
    assert.deepEqual([...f.label], [-2, -2, -2, -2, 1, -1, -1, -2]);
    assert.equal(f.hidden.length, 8 * 32);
    for (let p = 0; p < 8; p++) assert.ok(f.maxLogit[p]! <= f.lse[p]!);
  });

  test('a span naming a tool outside the head is an error', () => {
    assert.throws(() => headFeatures(model, { ids: [1, 2, 3], spans: [{ start: 1, end: 2, tool: '<gcd>' }] }, TOOLS), /<gcd>, which is not among the head's tools/);
  });

  test('training over cached states learns when and which tool to fire', () => {
    const random = seededRandom(3);
    const features = Array.from({ length: 300 }, () => headFeatures(model, example(random), TOOLS));
    const before = scoreFiring(new Float32Array(2 * 32), 2, features);
    assert.equal(before.f1, 0);
    const trained = trainHead(features, 2, { epochs: 30, lr: 0.05, batchPositions: 64, validationFraction: 0.2, toolPositionsOnly: false, seed: 0 });
    const after = scoreFiring(trained.rows, 2, features);
    assert.ok(after.f1 > 0.9, `F1 ${after.f1}`);
    assert.ok(after.loss < before.loss);
    assert.ok(trained.history.length === 30 && trained.bestEpoch >= 1);
    assert.equal(trained.history[trained.bestEpoch - 1]!.validation.f1, Math.max(...trained.history.map((h) => h.validation.f1)));
  });

  test('a saved head loads on its base and is refused on another', () => {
    const rows = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    const dir = join(tmp, 'head');
    saveHead(dir, { tools: TOOLS, dim: 32, rows, base: baseIdentity(model) });
    const loaded = loadHead(dir, model);
    assert.deepEqual(loaded.tools, TOOLS);
    assert.deepEqual([...loaded.rows], [...rows]);
    assert.throws(() => loadHead(dir, tinyModel(2)), (e: Error) => e instanceof HeadError && e.message.includes(join(dir, 'head.json')) && /trained on another base model/.test(e.message));
  });
});
