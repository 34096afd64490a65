/**
 * A small language model made of the src/nn modules, for the module and optimizer tests: an embedding, a few
 * pre-norm residual MLP blocks (x + down(silu(up(norm(x))))), a final RMSNorm and a Linear head trained with the
 * fused cross-entropy. It is deliberately not a transformer (no attention, no positions): the one decoder lives in
 * src/models/decoder.ts, and nn may not import it. What the tests need from it is a real parameter tree (nested
 * modules, a numbered array of them, a bias) and a differentiable loss.
 */
import { add } from '../../tensor/ops/elementwise.js';
import { linearCrossEntropy } from '../../tensor/ops/linearCrossEntropy.js';
import { silu } from '../../tensor/ops/unary.js';
import type { Rng } from '../../tensor/random.js';
import type { Ids, Tensor } from '../../tensor/tensor.js';
import { Embedding } from '../embedding.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import { RMSNorm } from '../norm.js';

export interface TinyLmConfig {
  readonly vocab: number;
  readonly dim: number;
  /** Residual MLP blocks. */
  readonly blocks: number;
  /** The MLP's inner width. */
  readonly hidden: number;
}

/** x + down(silu(up(norm(x)))); `up` has a bias, so the tree holds one. */
export class ResidualMlp extends Module {
  readonly norm: RMSNorm;
  readonly up: Linear;
  readonly down: Linear;

  constructor(dim: number, hidden: number, rng: Rng) {
    super();
    this.norm = RMSNorm.init(dim);
    this.up = Linear.init(dim, hidden, rng, { bias: true });
    this.down = Linear.init(hidden, dim, rng);
  }

  forward(x: Tensor): Tensor {
    return add(x, this.down.forward(silu(this.up.forward(this.norm.forward(x)))));
  }
}

export class TinyLm extends Module {
  readonly embed: Embedding;
  readonly layers: ResidualMlp[];
  readonly norm: RMSNorm;
  readonly head: Linear;

  constructor(
    readonly config: TinyLmConfig,
    rng: Rng,
  ) {
    super();
    this.embed = new Embedding(config.vocab, config.dim, rng);
    this.layers = Array.from({ length: config.blocks }, () => new ResidualMlp(config.dim, config.hidden, rng));
    this.norm = RMSNorm.init(config.dim);
    this.head = Linear.init(config.dim, config.vocab, rng);
  }

  /** tokens (batch, t) -> final hidden states (batch, t, dim) */
  hidden(tokens: Ids): Tensor {
    let x = this.embed.forward(tokens);
    for (const layer of this.layers) x = layer.forward(x);
    return this.norm.forward(x);
  }

  /** Mean next-token cross-entropy; targets has one id per token (ignoreIndex -100 skips a position). */
  loss(tokens: Ids, targets: Int32Array): Tensor {
    return linearCrossEntropy(this.hidden(tokens), this.head.weight, targets);
  }
}
