import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseHfConfig } from '../../models/config.js';
import { DecoderModel } from '../../models/decoder.js';
import { seededRandom } from '../../util/random.js';
import { baseIdentity } from './model.js';
import { headFeatures, HeadError, loadHead, saveHead, scoreFiring, trainHead, tuneToolBias } from './head.js';
import { mineHeldOutPositions } from './pipeline.js';
import type { MinedPosition } from './reranker.js';
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

  test('held-out texts given by index replace the random validation split; a split of none or all is refused', () => {
    const random = seededRandom(4);
    const features = Array.from({ length: 40 }, () => headFeatures(model, example(random), TOOLS));
    const options = { epochs: 2, lr: 0.05, batchPositions: 64, validationFraction: 0.2, toolPositionsOnly: false, seed: 0 };
    const heldOut = [3, 9, 27];
    assert.deepEqual(trainHead(features, 2, { ...options, heldOut }).validation, heldOut);
    assert.throws(() => trainHead(features, 2, { ...options, heldOut: [] }), /heldOut must name some but not all of the 40 texts/);
    assert.throws(() => trainHead(features, 2, { ...options, heldOut: [40] }), /heldOut must name some but not all/);
  });

  test('cross-fitted mining draws reranker positions from every text, each under a head that never saw it', () => {
    const random = seededRandom(5);
    const features = Array.from({ length: 60 }, () => headFeatures(model, example(random), TOOLS));
    const head = { epochs: 5, lr: 0.05, batchPositions: 64, validationFraction: 0.1, toolPositionsOnly: false, seed: 0 };
    const training = trainHead(features, 2, head);
    const mine = (rerankFolds: number): MinedPosition[] =>
      mineHeldOutPositions(features, TOOLS, training, { head, reranker: null, rerankTopK: 2, toolBias: 0, docs: new Map(), rerankFolds }, 0);
    const own = mine(1);
    assert.ok(own.every((m) => training.validation.includes(m.text)));
    const crossFitted = mine(3);
    // Every text has a toolken position, so every text yields at least its gold-tool example.
    assert.deepEqual(new Set(crossFitted.filter((m) => m.label >= 0).map((m) => m.text)).size, 60);
    assert.ok(crossFitted.length > 5 * own.length, `${crossFitted.length} vs ${own.length}`);
    assert.throws(() => mine(0), /rerankFolds must be a whole number from 1 to the number of texts \(60\), got 0/);
  });

  test('the tuned tool bias is the one of the best validation F1, and a bias makes a head fire more', () => {
    const random = seededRandom(6);
    const features = Array.from({ length: 80 }, () => headFeatures(model, example(random), TOOLS));
    const weak = trainHead(features, 2, { epochs: 1, lr: 0.005, batchPositions: 64, validationFraction: 0.2, toolPositionsOnly: false, seed: 0 });
    const grid = [0, 1, 2, 4, 8];
    const scores = grid.map((bias) => scoreFiring(weak.rows, 2, features, bias));
    const tuned = tuneToolBias(weak.rows, 2, features, grid);
    assert.equal(tuned.f1, Math.max(...scores.map((s) => s.f1)));
    assert.equal(tuned.bias, grid[scores.findIndex((s) => s.f1 === tuned.f1)]);
    assert.ok(scores[4]!.recall >= scores[0]!.recall);
  });

  test('a saved head loads on its base and is refused on another', () => {
    const rows = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    const dir = join(tmp, 'head');
    saveHead(dir, { tools: TOOLS, dim: 32, rows, base: baseIdentity(model) });
    const loaded = loadHead(dir, model);
    assert.equal(loaded.toolBias, undefined);
    assert.deepEqual(loaded.tools, TOOLS);
    assert.deepEqual([...loaded.rows], [...rows]);
    assert.throws(() => loadHead(dir, tinyModel(2)), (e: Error) => e instanceof HeadError && e.message.includes(join(dir, 'head.json')) && /trained on another base model/.test(e.message));
  });

  test('a head keeps its tuned tool bias; a bias that is not a finite number is refused naming the file', () => {
    const rows = new Float32Array(64);
    const dir = join(tmp, 'biased-head');
    saveHead(dir, { tools: TOOLS, dim: 32, rows, base: baseIdentity(model), toolBias: 2.5 });
    assert.equal(loadHead(dir, model).toolBias, 2.5);
    const file = join(dir, 'head.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), toolBias: 'high' }));
    assert.throws(() => loadHead(dir, model), (e: Error) => e instanceof HeadError && e.message.includes(file) && /"toolBias" must be a finite number, got "high"/.test(e.message));
  });
});
