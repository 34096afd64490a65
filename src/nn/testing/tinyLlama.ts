/**
 * A small Llama-style decoder used to prove the engine end to end (memorisation and memory-stability tests) and
 * to time one transformer block (bench/suites/engine.ts). The production decoder lives in src/models; this one
 * is deliberately minimal: embedding, then per layer RMSNorm -> grouped-query attention with RoPE -> residual,
 * RMSNorm -> SwiGLU MLP -> residual, then a final RMSNorm and an LM head trained with the fused cross-entropy.
 */
import { attention } from '../../tensor/ops/attention.js';
import { add } from '../../tensor/ops/elementwise.js';
import { permute, reshape } from '../../tensor/ops/layout.js';
import { linearCrossEntropy } from '../../tensor/ops/linearCrossEntropy.js';
import { rope, ropeInvFreq } from '../../tensor/ops/rope.js';
import { swiglu } from '../../tensor/ops/swiglu.js';
import type { Rng } from '../../tensor/random.js';
import type { Ids, Tensor } from '../../tensor/tensor.js';
import { Embedding } from '../embedding.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import { RMSNorm } from '../norm.js';

export interface TinyLlamaConfig {
  readonly vocab: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hidden: number;
  readonly ropeTheta: number;
}

export class SelfAttention extends Module {
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly wo: Linear;
  private readonly headDim: number;

  constructor(
    private readonly config: TinyLlamaConfig,
    rng: Rng,
  ) {
    super();
    const { dim, heads, kvHeads } = config;
    this.headDim = dim / heads;
    this.wq = Linear.init(dim, heads * this.headDim, rng);
    this.wk = Linear.init(dim, kvHeads * this.headDim, rng);
    this.wv = Linear.init(dim, kvHeads * this.headDim, rng);
    this.wo = Linear.init(heads * this.headDim, dim, rng);
  }

  /** (batch, t, heads * headDim) -> (batch, heads, t, headDim) */
  private splitHeads(x: Tensor, heads: number): Tensor {
    const [batch, t] = x.shape as [number, number];
    return permute(reshape(x, [batch, t, heads, this.headDim]), [0, 2, 1, 3]);
  }

  // x (batch, t, dim) -> (batch, t, dim)
  forward(x: Tensor, invFreq: Float32Array): Tensor {
    const [batch, t, dim] = x.shape as [number, number, number];
    const q = rope(this.splitHeads(this.wq.forward(x), this.config.heads), { invFreq });
    const k = rope(this.splitHeads(this.wk.forward(x), this.config.kvHeads), { invFreq });
    const v = this.splitHeads(this.wv.forward(x), this.config.kvHeads);
    const y = attention(q, k, v, { causal: true });
    return this.wo.forward(reshape(permute(y, [0, 2, 1, 3]), [batch, t, dim]));
  }
}

export class SwiGluMlp extends Module {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;

  constructor(dim: number, hidden: number, rng: Rng) {
    super();
    this.gate = Linear.init(dim, hidden, rng);
    this.up = Linear.init(dim, hidden, rng);
    this.down = Linear.init(hidden, dim, rng);
  }

  forward(x: Tensor): Tensor {
    return this.down.forward(swiglu(this.gate.forward(x), this.up.forward(x)));
  }
}

export class TransformerBlock extends Module {
  readonly attnNorm: RMSNorm;
  readonly attn: SelfAttention;
  readonly mlpNorm: RMSNorm;
  readonly mlp: SwiGluMlp;

  constructor(config: TinyLlamaConfig, rng: Rng) {
    super();
    this.attnNorm = RMSNorm.init(config.dim);
    this.attn = new SelfAttention(config, rng);
    this.mlpNorm = RMSNorm.init(config.dim);
    this.mlp = new SwiGluMlp(config.dim, config.hidden, rng);
  }

  forward(x: Tensor, invFreq: Float32Array): Tensor {
    const h = add(x, this.attn.forward(this.attnNorm.forward(x), invFreq));
    return add(h, this.mlp.forward(this.mlpNorm.forward(h)));
  }
}

export class TinyLlama extends Module {
  readonly embed: Embedding;
  readonly layers: TransformerBlock[];
  readonly norm: RMSNorm;
  readonly head: Linear;
  private readonly invFreq: Float32Array;

  constructor(
    readonly config: TinyLlamaConfig,
    rng: Rng,
  ) {
    super();
    this.embed = new Embedding(config.vocab, config.dim, rng);
    this.layers = Array.from({ length: config.layers }, () => new TransformerBlock(config, rng));
    this.norm = RMSNorm.init(config.dim);
    this.head = Linear.init(config.dim, config.vocab, rng);
    this.invFreq = ropeInvFreq(config.dim / config.heads, config.ropeTheta);
  }

  /** tokens (batch, t) -> final hidden states (batch, t, dim) */
  hidden(tokens: Ids): Tensor {
    let x = this.embed.forward(tokens);
    for (const layer of this.layers) x = layer.forward(x, this.invFreq);
    return this.norm.forward(x);
  }

  /** Mean next-token cross-entropy; targets has one id per token (ignoreIndex -100 skips a position). */
  loss(tokens: Ids, targets: Int32Array): Tensor {
    return linearCrossEntropy(this.hidden(tokens), this.head.weight, targets);
  }
}
