/** Linear layer: x (..., in) -> (..., out) = x @ weight^T + bias, weight (out, in) as in PyTorch checkpoints. */
import { add } from '../tensor/ops/elementwise.js';
import { matmul } from '../tensor/ops/matmul.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { uniform, zeros } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface LinearOptions {
  readonly bias?: boolean;
}

export class Linear extends Module {
  /** Over given parameters: a weight (out, in), as checkpoints store it, and an optional bias (out). */
  constructor(
    readonly weight: Parameter,
    readonly bias: Parameter | null = null,
  ) {
    super();
  }

  /** Fresh weights, uniform in +-1/sqrt(in) (PyTorch's default); the bias starts at zero. */
  static init(inFeatures: number, outFeatures: number, rng: Rng, { bias = false }: LinearOptions = {}): Linear {
    const bound = 1 / Math.sqrt(inFeatures);
    return new Linear(Parameter.from(uniform([outFeatures, inFeatures], rng, -bound, bound)), bias ? Parameter.from(zeros([outFeatures])) : null);
  }

  get inFeatures(): number {
    return this.weight.shape[1]!;
  }

  get outFeatures(): number {
    return this.weight.shape[0]!;
  }

  forward(x: Tensor): Tensor {
    const y = matmul(x, this.weight, { transB: true });
    return this.bias === null ? y : add(y, this.bias);
  }
}
