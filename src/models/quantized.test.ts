// Models kept quantized: Q8_0 / Q4_0 matrices loaded from GGUF as blocks (never fp32), or quantized on load, run the
// same model as their dequantized weights, exactly on the ref backend and within the int8 paths' noise on cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refBackend } from '../tensor/backends/ref.js';
import { loadCpuBackend } from '../tensor/backends/cpu.js';
import { dequantize, quantize } from '../tensor/quant.js';
import type { Backend } from '../tensor/backend.js';
import type { DecoderConfig } from './config.js';
import { DecoderModel, QuantizedDense, WeightMismatchError } from './decoder.js';
import { loadDecoder } from './load.js';
import { exportGguf, saveModel } from './save.js';

const cpu = loadCpuBackend();

function config(dim: number, tied: boolean): DecoderConfig {
  return {
    family: 'llama', vocabSize: 96, dim, layers: 2, heads: 4, kvHeads: 2, headDim: dim / 4, hiddenDim: 2 * dim, normEps: 1e-5, ropeTheta: 10000,
    ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: tied, maxPositions: 64, bosTokenId: null, eosTokenIds: [],
  };
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-quantized-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TOKENS = [3, 17, 42, 5, 88, 61, 0, 29];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
}

for (const tied of [false, true]) {
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    test(`a ${dtype} GGUF (${tied ? 'tied' : 'untied'} head) loads as blocks and runs exactly the dequantized model on ref`, () => {
      withTempDir((dir) => {
        const path = join(dir, 'model.gguf');
        exportGguf(DecoderModel.random(config(64, tied), 7, 0.3, refBackend), path, { dtype });
        const quantized = loadDecoder(path, { backend: refBackend, keepQuantized: true }).model;
        const dense = loadDecoder(path, { backend: refBackend }).model;
        const q = quantized.layers[0]!.selfAttn.qProj;
        assert.ok(q instanceof QuantizedDense && q.weight.type === dtype);
        assert.equal(quantized.quantizedHead?.type, dtype);
        // No fp32 copy of a quantized matrix: the parameters are the norms and the embedding lookup table.
        const names = quantized.namedParameters().map(([name]) => name);
        assert.ok(names.every((n) => !/proj|lmHead/.test(n)), names.join(', '));
        // q/k rows were un-permuted block-row by block-row exactly as the fp32 reader un-permutes values.
        assert.deepEqual(dequantize(q.weight), dense.parameter('model.layers.0.self_attn.q_proj.weight').toArray());
        assert.ok(maxAbsDiff(quantized.logitsAt(TOKENS), dense.logitsAt(TOKENS)) < 1e-4);
        if (!tied) assert.throws(() => quantized.outputWeight, (err: Error) => err instanceof WeightMismatchError && /the LM head is kept quantized \(q\d_0\)/.test(err.message));
        assert.throws(() => quantized.parameter('model.layers.1.mlp.down_proj.weight'), /is kept quantized \(q\d_0\), for inference only/);
        // Saving writes the values the blocks stand for.
        const saved = quantized.tensors().find((t) => t.name === 'model.layers.1.mlp.up_proj.weight')!;
        assert.deepEqual(saved.data, dense.parameter('model.layers.1.mlp.up_proj.weight').toArray());
      });
    });
  }
}

test('quantize on load turns an fp32 checkpoint into blocks matrix by matrix, rows off the block included', () => {
  withTempDir((dir) => {
    // dim 40: rows of 40 values end in a zero-padded block.
    const source = DecoderModel.random(config(40, true), 3, 0.1, refBackend);
    saveModel(source, null, dir);
    const model = loadDecoder(dir, { backend: refBackend, quantize: 'q4_0' }).model;
    const up = model.layers[1]!.mlp.upProj;
    assert.ok(up instanceof QuantizedDense);
    const fp32 = source.parameter('model.layers.1.mlp.up_proj.weight').toArray();
    assert.deepEqual([...up.weight.data], [...quantize('q4_0', fp32, 80, 40).data]);
    assert.deepEqual(model.quantizedHead?.data, quantize('q4_0', source.embedTokens.toArray(), 96, 40).data);
    const exact = DecoderModel.random(config(40, true), 3, 0.1, refBackend).logitsAt(TOKENS);
    const quantizedLogits = model.logitsAt(TOKENS);
    // 4-bit weights move the logits, but only by a fraction of their spread.
    const spread = exact.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(maxAbsDiff(quantizedLogits, exact) < 0.5 * spread, `${maxAbsDiff(quantizedLogits, exact)} vs ${spread}`);
  });
});

test('a Q8_0 GGUF loaded with quantize q4_0 is requantized; without keepQuantized it loads dequantized in fp32', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.gguf');
    exportGguf(DecoderModel.random(config(64, false), 5, 0.3, refBackend), path, { dtype: 'q8_0' });
    const requantized = loadDecoder(path, { backend: refBackend, quantize: 'q4_0' }).model;
    assert.equal((requantized.layers[0]!.mlp.gateProj as QuantizedDense).weight.type, 'q4_0');
    const fp32 = loadDecoder(path, { backend: refBackend }).model;
    assert.equal(fp32.quantizedHead, null);
    assert.ok(!(fp32.layers[0]!.mlp.gateProj instanceof QuantizedDense));
  });
});

test('the cpu backend runs a quantized model close to its dequantized weights (int8 activations), decode steps included', { skip: 'error' in cpu ? cpu.error : false }, () => {
  const backend: Backend = 'backend' in cpu ? cpu.backend : refBackend;
  withTempDir((dir) => {
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const path = join(dir, `${dtype}.gguf`);
      exportGguf(DecoderModel.random(config(128, false), 11, 0.1, refBackend), path, { dtype });
      const quantized = loadDecoder(path, { backend, keepQuantized: true }).model;
      const dense = loadDecoder(path, { backend }).model;
      const want = dense.logitsAt(TOKENS);
      const got = quantized.logitsAt(TOKENS);
      const spread = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(got, want) < 0.05 * spread, `${dtype}: ${maxAbsDiff(got, want)} vs logits up to ${spread}`);
      // Decode steps (one row, m = 1) against the same model's prefill of the whole sequence on ref.
      const session = quantized.createSession(1, 16);
      session.prefill(0, TOKENS.slice(0, 4));
      let step = new Float32Array(0);
      for (const token of TOKENS.slice(4)) step = new Float32Array(session.decode([0], [token]));
      assert.ok(maxAbsDiff(step, want.subarray(7 * 96)) < 0.05 * spread, `${dtype} decode`);
    }
  });
});
