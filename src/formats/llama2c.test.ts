import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { CheckpointError } from './errors.js';
import { GgufFile } from './gguf.js';
import { ggufAsHuggingFace } from './llama-mapping.js';
import { Llama2cCheckpoint } from './llama2c.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const bin = join(stories, 'stories260K.bin');
const gguf = join(stories, 'stories260K.gguf');

describe('llama2.c checkpoint', () => {
  test('stories260K.bin gives the Hugging Face config and shapes of a 5-layer GQA Llama with tied embeddings', (t) => {
    if (!existsSync(bin)) return t.skip('../shared absent');
    const ckpt = new Llama2cCheckpoint(bin);
    assert.deepEqual(ckpt.config, {
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      num_hidden_layers: 5,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      intermediate_size: 172,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      vocab_size: 512,
      max_position_embeddings: 512,
      tie_word_embeddings: true,
      head_dim: 8,
      attention_bias: false,
      rope_scaling: null,
      bos_token_id: 1,
      eos_token_id: 2,
    });
    assert.equal(ckpt.names().length, 2 + 5 * 9);
    assert.deepEqual(ckpt.shape('model.embed_tokens.weight'), [512, 64]);
    assert.deepEqual(ckpt.shape('model.layers.4.self_attn.k_proj.weight'), [32, 64]);
    assert.deepEqual(ckpt.shape('model.layers.0.mlp.down_proj.weight'), [64, 172]);
    assert.equal(ckpt.names().includes('lm_head.weight'), false);
    ckpt.close();
  });

  test('every stories260K.bin weight equals the stories260K.gguf weight after both are converted to the HF layout', (t) => {
    if (!existsSync(bin) || !existsSync(gguf)) return t.skip('../shared absent');
    const ckpt = new Llama2cCheckpoint(bin);
    const { config, weights } = ggufAsHuggingFace(new GgufFile(gguf));
    assert.equal(config.hidden_size, 64);
    assert.equal(config.num_key_value_heads, 4);
    for (const name of ckpt.names()) {
      assert.deepEqual(weights.shape(name), ckpt.shape(name), name);
      assert.deepEqual(weights.read(name), ckpt.read(name), name);
    }
    // The GGUF keeps an explicit copy of the shared classifier.
    assert.deepEqual(weights.read('lm_head.weight'), ckpt.read('model.embed_tokens.weight'));
    weights.close();
    ckpt.close();
  });

  test('a truncated checkpoint is rejected with the byte counts', (t) => {
    if (!existsSync(bin)) return t.skip('../shared absent');
    const dir = mkdtempSync(join(tmpdir(), 'toolken-llama2c-'));
    try {
      const cut = join(dir, 'cut.bin');
      copyFileSync(bin, cut);
      truncateSync(cut, statSync(bin).size - 100);
      assert.throws(() => new Llama2cCheckpoint(cut), (err: Error) => err.message.startsWith(cut) && /describes a 1056540-byte checkpoint but the file has 1056440 bytes \(truncated\)/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a header that does not describe its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolken-llama2c-header-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // dim 8, hidden 16, 2 layers, 2 heads, 1 kv head, vocab 10 (shared classifier), seq 4: 28 + 4 * 1288 bytes.
    const header = [8, 16, 2, 2, 1, 10, 4];
    const valid = tinyCheckpoint(header, 1288);

    function tinyCheckpoint(fields: number[], floats: number): Buffer {
      return Buffer.concat([Buffer.from(new Int32Array(fields).buffer), Buffer.alloc(4 * floats)]);
    }

    function write(name: string, bytes: Buffer): string {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    }

    test('the exact size loads', () => {
      const ckpt = new Llama2cCheckpoint(write('valid.bin', valid));
      assert.equal(ckpt.names().length, 2 + 2 * 9);
      ckpt.close();
    });

    test('trailing bytes and a changed hidden size are refused with both sizes', () => {
      const trailing = write('trailing.bin', Buffer.concat([valid, Buffer.alloc(4)]));
      assert.throws(() => new Llama2cCheckpoint(trailing), (err: Error) => err instanceof CheckpointError && err.message.startsWith(trailing) && /describes a 5180-byte checkpoint but the file has 5184 bytes \(trailing bytes or a changed header\)/.test(err.message));
      const changed = Buffer.from(valid);
      changed.writeInt32LE(12, 4);
      const hidden = write('hidden.bin', changed);
      assert.throws(() => new Llama2cCheckpoint(hidden), (err: Error) => err instanceof CheckpointError && /"hiddenDim":12.*describes a 4412-byte checkpoint but the file has 5180 bytes/.test(err.message));
    });

    test('n_layers = 2^31-1 and other huge fields fail at once, before any per-layer work', () => {
      for (const [field, value] of [[2, 2 ** 31 - 1], [0, 2 ** 31 - 2], [5, -(2 ** 31)], [6, 2 ** 31 - 1], [1, 2 ** 31 - 1]] as const) {
        const bytes = Buffer.from(valid);
        bytes.writeInt32LE(value, 4 * field);
        const path = write(`huge-${field}.bin`, bytes);
        const heapBefore = process.memoryUsage().heapUsed;
        const started = performance.now();
        assert.throws(() => new Llama2cCheckpoint(path), (err: Error) => err instanceof CheckpointError && err.message.startsWith(path), `field ${field} = ${value}`);
        assert.ok(performance.now() - started < 100, `field ${field}: ${performance.now() - started} ms`);
        assert.ok(process.memoryUsage().heapUsed - heapBefore < 20e6, `field ${field}: heap grew`);
      }
    });

    test('an odd head size (no rotary pairs) is refused in the header', () => {
      const path = write('odd-head.bin', tinyCheckpoint([6, 16, 2, 2, 1, 10, 4], 1288));
      assert.throws(() => new Llama2cCheckpoint(path), /implausible llama2\.c header/);
    });
  });
});
