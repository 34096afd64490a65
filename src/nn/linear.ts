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
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  /** Weights start uniform in +-1/sqrt(in) (PyTorch's default); the bias starts at zero. */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    { bias = false }: LinearOptions = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = Parameter.from(uniform([outFeatures, inFeatures], rng, -bound, bound));
    this.bias = bias ? Parameter.from(zeros([outFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    const y = matmul(x, this.weight, { transB: true });
    return this.bias === null ? y : add(y, this.bias);
  }
}
