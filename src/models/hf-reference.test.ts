// An independent check of the family switches: a few lines of PyTorch written from Hugging Face's modeling code
// (rotate-half RoPE, Llama-3 frequency scaling, Qwen2 q/k/v bias, Qwen3 per-head q/k RMSNorm, grouped KV heads,
// tied heads) read the directories saveModel writes and must reproduce our logits. Skips without torch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { saveModel } from './save.js';
import { refBackend } from '../tensor/backends/ref.js';

const PYTHON = '/usr/bin/python3';

const REFERENCE = String.raw`
import json, math, struct, sys
import torch
def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return {k: torch.frombuffer(bytearray(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape'])
            for k, v in header.items() if k != '__metadata__'}
def rms(x, w, eps): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w
def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)
out = {}
for d in sys.argv[1:]:
    c = json.load(open(d + '/config.json')); W = load(d + '/model.safetensors'); ids = torch.tensor(json.load(open(d + '/ids.json')))
    T, H, KV = len(ids), c['num_attention_heads'], c['num_key_value_heads']
    hd, eps = c['head_dim'], c['rms_norm_eps']
    inv = 1.0 / (c['rope_theta'] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = c.get('rope_scaling')
    if rs:
        f, lo, hi, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
        wl = 2 * math.pi / inv
        smooth = (old / wl - lo) / (hi - lo)
        inv = torch.where(wl < old / hi, inv, torch.where(wl > old / lo, inv / f, (1 - smooth) * inv / f + smooth * inv))
    angles = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
    cos, sin = torch.cat([angles, angles], -1).cos().float(), torch.cat([angles, angles], -1).sin().float()
    def linear(name, x):
        y = x @ W[name + '.weight'].T
        return y + W[name + '.bias'] if name + '.bias' in W else y
    x = W['model.embed_tokens.weight'][ids]
    for l in range(c['num_hidden_layers']):
        p = 'model.layers.%d.' % l
        h = rms(x, W[p + 'input_layernorm.weight'], eps)
        q = linear(p + 'self_attn.q_proj', h).view(T, H, hd).transpose(0, 1)
        k = linear(p + 'self_attn.k_proj', h).view(T, KV, hd).transpose(0, 1)
        v = linear(p + 'self_attn.v_proj', h).view(T, KV, hd).transpose(0, 1)
        if p + 'self_attn.q_norm.weight' in W:
            q, k = rms(q, W[p + 'self_attn.q_norm.weight'], eps), rms(k, W[p + 'self_attn.k_norm.weight'], eps)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
        s = (q @ k.transpose(1, 2) / math.sqrt(hd)).masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf'))
        x = x + linear(p + 'self_attn.o_proj', (s.softmax(-1) @ v).transpose(0, 1).reshape(T, H * hd))
        h = rms(x, W[p + 'post_attention_layernorm.weight'], eps)
        x = x + linear(p + 'mlp.down_proj', torch.nn.functional.silu(linear(p + 'mlp.gate_proj', h)) * linear(p + 'mlp.up_proj', h))
    head = W.get('lm_head.weight', W['model.embed_tokens.weight'])
    out[d] = (rms(x, W['model.norm.weight'], eps) @ head.T).flatten().tolist()
print(json.dumps(out))
`;

const base: DecoderConfig = {
  family: 'llama', vocabSize: 50, dim: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, hiddenDim: 48, normEps: 1e-6,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 64, bosTokenId: null, eosTokenIds: [1],
};
const families: Record<string, DecoderConfig> = {
  'llama 3 rope scaling': { ...base, ropeTheta: 500000, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 } },
  'qwen2 q/k/v bias, tied': { ...base, family: 'qwen2', qkvBias: true, tieWordEmbeddings: true },
  'qwen3 q/k norm, head_dim 16': { ...base, family: 'qwen3', qkNorm: true, headDim: 16 },
};
const ids = [3, 17, 42, 8, 9, 30, 11, 5, 49, 0, 22, 13];

test('Llama 3, Qwen2 and Qwen3 checkpoints give the logits of an independent PyTorch implementation (1e-4)', (t) => {
  if (!existsSync(PYTHON)) return t.skip('python3 absent');
  const root = mkdtempSync(join(tmpdir(), 'toolken-hf-reference-'));
  try {
    const ours = new Map<string, Float32Array>();
    Object.values(families).forEach((config, f) => {
      // Random weights, with biases and norm weights away from 0 and 1 so that every switch shows.
      let k = f * 1000;
      const tensors = new Map(DecoderModel.random(config, f + 1, 0.3, refBackend).tensors().map((w) => {
        if (w.name.endsWith('.bias') || w.name.endsWith('norm.weight')) for (let i = 0; i < w.data.length; i++) w.data[i] = 1 + 0.5 * Math.sin(++k);
        return [w.name, w.data] as const;
      }));
      const model = new DecoderModel(config, tensors, refBackend);
      const dir = join(root, String(f));
      saveModel(model, null, dir);
      writeFileSync(join(dir, 'ids.json'), JSON.stringify(ids));
      ours.set(dir, model.logitsAt(ids));
    });
    const run = spawnSync(PYTHON, ['-c', REFERENCE, ...ours.keys()], { encoding: 'utf8' });
    if (run.status !== 0 && /No module named 'torch'/.test(run.stderr)) return t.skip('torch absent');
    assert.equal(run.status, 0, run.stderr);
    const reference = JSON.parse(run.stdout) as Record<string, number[]>;
    Object.keys(families).forEach((name, f) => {
      const dir = join(root, String(f));
      const theirs = reference[dir]!;
      const mine = ours.get(dir)!;
      let worst = 0;
      for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i]! - theirs[i]!));
      assert.ok(worst < 1e-4, `${name}: max |logit difference| ${worst}`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
