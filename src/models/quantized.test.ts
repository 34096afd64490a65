// Models kept quantized: Q8_0 / Q4_0 / BF16 matrices loaded from GGUF as stored (never fp32), or converted on load
// (bf16 and NF4 too), run the same model as their dequantized weights: exactly on the ref backend (bf16: with the
// activations rounded to bf16) and within the int8 / bf16 paths' noise on cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { refBackend } from '../tensor/backends/ref.js';
import { loadCpuBackend } from '../tensor/backends/cpu.js';
import { dequantize, quantize } from '../tensor/quant.js';
import type { Backend } from '../tensor/backend.js';
import type { DecoderConfig } from './config.js';
import { DecoderModel, QuantizedDense, WeightMismatchError } from './decoder.js';
import { loadDecoder } from './load.js';
import { exportGguf, saveModel } from './save.js';
import { withTempDir } from '../util/testing/temp-dir.js';

const cpu = loadCpuBackend();

function config(dim: number, tied: boolean): DecoderConfig {
  return {
    family: 'llama', vocabSize: 96, dim, layers: 2, heads: 4, kvHeads: 2, headDim: dim / 4, hiddenDim: 2 * dim, normEps: 1e-5, ropeTheta: 10000,
    ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: tied, maxPositions: 64, bosTokenId: null, eosTokenIds: [],
  };
}

const TOKENS = [3, 17, 42, 5, 88, 61, 0, 29];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
}

for (const tied of [false, true]) {
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    test(`a ${dtype} GGUF (${tied ? 'tied' : 'untied'} head) loads as blocks and runs exactly the dequantized model on ref`, () => {
      withTempDir('quantized', (dir) => {
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
  withTempDir('quantized', (dir) => {
    // dim 40: rows of 40 values end in a zero-padded block.
    const source = DecoderModel.random(config(40, true), 3, 0.1, refBackend);
    saveModel(source, null, dir);
    for (const type of ['q4_0', 'nf4'] as const) {
      const model = loadDecoder(dir, { backend: refBackend, quantize: type }).model;
      const up = model.layers[1]!.mlp.upProj;
      assert.ok(up instanceof QuantizedDense);
      const fp32 = source.parameter('model.layers.1.mlp.up_proj.weight').toArray();
      assert.deepEqual([...up.weight.data], [...quantize(type, fp32, 80, 40).data]);
      assert.deepEqual(model.quantizedHead?.data, quantize(type, source.embedTokens.toArray(), 96, 40).data);
      const exact = DecoderModel.random(config(40, true), 3, 0.1, refBackend).logitsAt(TOKENS);
      const quantizedLogits = model.logitsAt(TOKENS);
      // 4-bit weights move the logits, but only by a fraction of their spread.
      const spread = exact.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(quantizedLogits, exact) < 0.5 * spread, `${type}: ${maxAbsDiff(quantizedLogits, exact)} vs ${spread}`);
    }
  });
});

test('a Q8_0 GGUF loaded with quantize q4_0 is requantized; without keepQuantized it loads dequantized in fp32', () => {
  withTempDir('quantized', (dir) => {
    const path = join(dir, 'model.gguf');
    exportGguf(DecoderModel.random(config(64, false), 5, 0.3, refBackend), path, { dtype: 'q8_0' });
    const requantized = loadDecoder(path, { backend: refBackend, quantize: 'q4_0' }).model;
    assert.equal((requantized.layers[0]!.mlp.gateProj as QuantizedDense).weight.type, 'q4_0');
    const fp32 = loadDecoder(path, { backend: refBackend }).model;
    assert.equal(fp32.quantizedHead, null);
    assert.ok(!(fp32.layers[0]!.mlp.gateProj instanceof QuantizedDense));
  });
});

test('a BF16 GGUF keeps its matrices as bf16 (2 bytes a weight); F16 and fp32 checkpoints convert to bf16 or NF4 on request', () => {
  withTempDir('quantized', (dir) => {
    const source = DecoderModel.random(config(64, false), 9, 0.3, refBackend);
    const bf16Path = join(dir, 'bf16.gguf');
    exportGguf(source, bf16Path, { dtype: 'bf16' });
    const kept = loadDecoder(bf16Path, { backend: refBackend, keepQuantized: true }).model;
    const dense = loadDecoder(bf16Path, { backend: refBackend }).model;
    const q = kept.layers[0]!.selfAttn.qProj;
    assert.ok(q instanceof QuantizedDense && q.weight.type === 'bf16');
    assert.equal(q.weight.data.byteLength, 2 * 64 * 64);
    assert.equal(kept.quantizedHead?.type, 'bf16');
    assert.ok(!(dense.layers[0]!.selfAttn.qProj instanceof QuantizedDense), 'without keepQuantized a BF16 file loads in fp32');
    assert.deepEqual(dequantize(q.weight), dense.parameter('model.layers.0.self_attn.q_proj.weight').toArray());
    // The same weights, the activations rounded to bf16 before each product: logits move by bf16's 2^-9 relative.
    const want = dense.logitsAt(TOKENS);
    const spread = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(maxAbsDiff(kept.logitsAt(TOKENS), want) < 0.02 * spread, `${maxAbsDiff(kept.logitsAt(TOKENS), want)} vs ${spread}`);
    // An F16 file converts to bf16 on request (the F16 values rounded to bf16), and to NF4 likewise.
    const f16Path = join(dir, 'f16.gguf');
    exportGguf(source, f16Path, { dtype: 'f16' });
    const f16 = loadDecoder(f16Path, { backend: refBackend }).model;
    const f16Values = f16.parameter('model.layers.1.mlp.down_proj.weight').toArray();
    for (const type of ['bf16', 'nf4'] as const) {
      const converted = loadDecoder(f16Path, { backend: refBackend, quantize: type }).model.layers[1]!.mlp.downProj;
      assert.ok(converted instanceof QuantizedDense && converted.weight.type === type);
      assert.deepEqual([...converted.weight.data], [...quantize(type, f16Values, 64, 128).data]);
    }
  });
});

test('the cpu backend runs a quantized model close to its dequantized weights (int8 or bf16 activations), decode steps included', { skip: 'error' in cpu ? cpu.error : false }, () => {
  const backend: Backend = 'backend' in cpu ? cpu.backend : refBackend;
  withTempDir('quantized', (dir) => {
    for (const dtype of ['q8_0', 'q4_0', 'bf16'] as const) {
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
