/** Normalisation layers over the last dimension: RMSNorm (Llama) and LayerNorm (GPT-2, BERT). */
import { layernorm } from '../tensor/ops/layernorm.js';
import { rmsnorm } from '../tensor/ops/rmsnorm.js';
import type { Tensor } from '../tensor/tensor.js';
import { ones, zeros } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export class RMSNorm extends Module {
  /** Over a given weight (dim), as checkpoints store it. */
  constructor(
    readonly weight: Parameter,
    readonly eps = 1e-5,
  ) {
    super();
  }

  /** A fresh norm: unit weights. */
  static init(dim: number, eps = 1e-5): RMSNorm {
    return new RMSNorm(Parameter.from(ones([dim])), eps);
  }

  get dim(): number {
    return this.weight.shape[0]!;
  }

  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }
}

export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    { eps = 1e-5, bias = true }: { eps?: number; bias?: boolean } = {},
  ) {
    super();
    this.eps = eps;
    this.weight = Parameter.from(ones([dim]));
    this.bias = bias ? Parameter.from(zeros([dim])) : null;
  }

  forward(x: Tensor): Tensor {
    return layernorm(x, this.weight, this.bias, this.eps);
  }
}
