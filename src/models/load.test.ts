import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDecoder, loadModel } from './load.js';
import { exportGguf, saveModel } from './save.js';
import { GgufFile, writeGguf, type GgufMetadataEntry } from '../formats/gguf.js';
import { readAllWeights } from '../formats/types.js';
import { DecoderModel, decoderWeightShapes, type LoadProgress } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { refBackend } from '../tensor/backends/ref.js';

const config: DecoderConfig = {
  family: 'qwen2', vocabSize: 20, dim: 8, layers: 1, heads: 2, kvHeads: 1, headDim: 4, hiddenDim: 16, normEps: 1e-6,
  ropeTheta: 10000, ropeScaling: null, qkvBias: true, outputBias: false, qkNorm: false, tieWordEmbeddings: true,
  maxPositions: 32, bosTokenId: null, eosTokenIds: [3],
};

function withModelDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-load-'));
  saveModel(DecoderModel.random(config, 1, 0.02, refBackend), null, dir);
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('generation_config.json adds its end-of-turn ids to the config ones', () =>
  withModelDir((dir) => {
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [3, 7] }));
    assert.deepEqual(loadDecoder(dir, { backend: refBackend }).config.eosTokenIds, [3, 7]);
  }));

test('loading reports progress after every weight tensor, ending at the model\'s whole size', () =>
  withModelDir((dir) => {
    const seen: LoadProgress[] = [];
    const { model } = loadDecoder(dir, { backend: refBackend, onProgress: (p) => seen.push(p) });
    const shapes = [...decoderWeightShapes(config)];
    assert.deepEqual(seen.map((p) => p.tensor), shapes.map(([name]) => name));
    const total = model.tensors().reduce((n, t) => n + t.data.length, 0);
    seen.forEach((p, i) => {
      assert.equal(p.tensors, i + 1);
      assert.equal(p.totalTensors, shapes.length);
      assert.equal(p.totalElements, total);
      if (i > 0) assert.ok(p.elements > seen[i - 1]!.elements);
    });
    assert.equal(seen.at(-1)!.elements, total);
  }));

test('an unsupported option in config.json is refused by name even though the weights would load', () =>
  withModelDir((dir) => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', hidden_size: 8, num_hidden_layers: 1,
      num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 16, vocab_size: 20, use_sliding_window: true, sliding_window: 16 }));
    assert.throws(() => loadDecoder(dir, { backend: refBackend }), /config\.json: "use_sliding_window": true \(window 16\) is not supported/);
  }));

test('a directory without tokenizer.json loads as a model but not as model + tokenizer', () =>
  withModelDir(async (dir) => {
    assert.equal(loadDecoder(dir, { backend: refBackend }).source, 'huggingface');
    await assert.rejects(loadModel(dir, { backend: refBackend }), /tokenizer\.json: tokenizer file not found/);
  }));

test('a llama2.c checkpoint with no tok*.bin beside it asks for --tokenizer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-load-'));
  try {
    // The smallest llama2.c checkpoint: dim 8, hidden 16, 1 layer, 2 heads, 2 kv heads, vocab 20, seq_len 4, zero weights.
    const header = new Int32Array([8, 16, 1, 2, 2, 20, 4]);
    const floats = 20 * 8 + 8 + 8 * 8 * 4 + 8 + 16 * 8 * 3 + 8 + 4 * 4;
    writeFileSync(join(dir, 'model.bin'), Buffer.concat([Buffer.from(header.buffer), Buffer.alloc(floats * 4)]));
    await assert.rejects(loadModel(join(dir, 'model.bin'), { backend: refBackend }), /cannot tell which tokenizer to use \(no tok\*\.bin in .*\); name one with --tokenizer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a checkpoint that does not describe itself fails at once, naming the file and the problem', () => {
  // A llama-family model of two layers: GGUF stores its q/k rows interleaved, so the export exercises the permutation.
  const llama: DecoderConfig = { ...config, family: 'llama', layers: 2, qkvBias: false, bosTokenId: 1, eosTokenIds: [2] };
  const root = mkdtempSync(join(tmpdir(), 'toolken-hostile-load-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const model = DecoderModel.random(llama, 3, 0.02, refBackend);
  const hfDir = join(root, 'hf');
  saveModel(model, null, hfDir);
  const gguf = join(root, 'model.gguf');
  exportGguf(model, gguf);
  let serial = 0;

  /** Loading `path` throws an error naming it that matches `message`, within a second. */
  function refused(path: string, message: RegExp): void {
    const started = performance.now();
    assert.throws(() => loadDecoder(path, { backend: refBackend }), (err: Error) => {
      assert.ok(err.message.includes(path), err.message);
      assert.match(err.message, message);
      return true;
    });
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  }

  /** A copy of the exported GGUF with metadata entries replaced, written by toolken's own GGUF writer. */
  function ggufWith(changes: Record<string, GgufMetadataEntry>): string {
    const source = new GgufFile(gguf);
    const path = join(root, `changed-${serial++}.gguf`);
    writeGguf(path, source, { ...Object.fromEntries(source.metadata), ...changes });
    source.close();
    return path;
  }

  /** A copy of the exported GGUF with bytes changed in place. */
  function ggufPatched(patch: (bytes: Buffer) => Buffer): string {
    const path = join(root, `patched-${serial++}.gguf`);
    writeFileSync(path, patch(Buffer.from(readFileSync(gguf))));
    return path;
  }

  /** Byte position of a tensor info's type code (its offset follows 4 bytes later). */
  function typeFieldOf(bytes: Buffer, name: string): number {
    const at = bytes.indexOf(Buffer.from(name)) + Buffer.byteLength(name);
    return at + 4 + 8 * bytes.readUInt32LE(at);
  }

  test('the files toolken writes (saveModel, exportGguf f32 and f16) load with their weights', () => {
    const expected = model.tensors();
    for (const path of [hfDir, gguf]) {
      const loaded = loadDecoder(path, { backend: refBackend }).model.tensors();
      assert.deepEqual(loaded.map((t) => t.name), expected.map((t) => t.name), path);
      loaded.forEach((t, i) => assert.deepEqual(t.data, expected[i]!.data, `${path} ${t.name}`));
    }
    const f16 = join(root, 'model-f16.gguf');
    exportGguf(model, f16, { dtype: 'f16' });
    assert.equal(loadDecoder(f16, { backend: refBackend }).config.layers, 2);
  });

  test('config.json naming a million layers, or fewer layers than the weights hold', () => {
    const hfConfig = JSON.parse(readFileSync(join(hfDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const [layers, message] of [[1e6, /the config names 1000000 layers but the weights hold 2/], [1, /the config names 1 layers but the weights hold 2/]] as const) {
      const dir = join(root, `layers-${layers}`);
      mkdirSync(dir);
      copyFileSync(join(hfDir, 'model.safetensors'), join(dir, 'model.safetensors'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...hfConfig, num_hidden_layers: layers }));
      refused(dir, message);
    }
  });

  test('GGUF block_count = 2^32-1, or below the layers the file holds', () => {
    refused(ggufWith({ 'llama.block_count': { type: 'u32', value: 2 ** 32 - 1 } }), /block_count is 4294967295 but the file holds tensors for 2 layers/);
    refused(ggufWith({ 'llama.block_count': { type: 'u32', value: 1 } }), /block_count is 1 but the file holds tensors of layer 1/);
  });

  test('GGUF bos/eos ids outside the vocabulary', () => {
    refused(ggufWith({ 'tokenizer.ggml.bos_token_id': { type: 'u32', value: 1e6 } }), /"tokenizer\.ggml\.bos_token_id" is 1000000, not a token id of the 20-token vocabulary/);
    refused(ggufWith({ 'tokenizer.ggml.eos_token_id': { type: 'u32', value: 20 } }), /"tokenizer\.ggml\.eos_token_id" is 20, not a token id/);
  });

  test('GGUF tensor data that overlaps or aliases, a tensor type changed to another, trailing bytes, a bad alignment', () => {
    refused(
      ggufPatched((b) => {
        b.writeBigUInt64LE(0n, typeFieldOf(b, 'blk.0.attn_k.weight') + 4);
        return b;
      }),
      /tensor "blk\.0\.attn_k\.weight" data is at offset 0 but the tensors before it end at \d+ \(overlapping, aliased or gapped/,
    );
    refused(
      ggufPatched((b) => {
        b.writeUInt32LE(1, typeFieldOf(b, 'token_embd.weight'));
        return b;
      }),
      /data is at offset \d+ but the tensors before it end at \d+/,
    );
    refused(ggufPatched((b) => Buffer.concat([b, Buffer.alloc(64)])), /64 bytes follow the last tensor's data/);
    const aligned64 = readFileSync(ggufWith({ 'general.alignment': { type: 'u32', value: 64 } }));
    const alignmentValue = aligned64.indexOf(Buffer.from('general.alignment')) + 'general.alignment'.length + 4;
    assert.equal(aligned64.readUInt32LE(alignmentValue), 64);
    aligned64.writeUInt32LE(24, alignmentValue);
    refused(ggufPatched(() => aligned64), /general\.alignment 24 is not a u32 power of two/);
  });

  test('a GGUF tensor no Llama-family model has', () => {
    const source = new GgufFile(gguf);
    const path = join(root, 'extra-tensor.gguf');
    const extra = { name: 'blk.0.ffn_gate_exps.weight', shape: [2], data: new Float32Array(2) };
    writeGguf(path, [...readAllWeights(source), extra], Object.fromEntries(source.metadata));
    source.close();
    refused(path, /tensor "blk\.0\.ffn_gate_exps\.weight" is not part of a Llama-family model toolken knows/);
  });
});
