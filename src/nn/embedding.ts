/** Token embedding table: ids (...) -> (..., dim). */
import { embedding } from '../tensor/ops/embedding.js';
import type { Rng } from '../tensor/random.js';
import type { Ids, Tensor } from '../tensor/tensor.js';
import { randn } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export class Embedding extends Module {
  readonly weight: Parameter;

  /** Rows start normal with standard deviation `std` (default 0.02, as GPT-2 and Llama initialise). */
  constructor(
    readonly vocab: number,
    readonly dim: number,
    rng: Rng,
    std = 0.02,
  ) {
    super();
    this.weight = Parameter.from(randn([vocab, dim], rng, std));
  }

  forward(tokenIds: Ids): Tensor {
    return embedding(this.weight, tokenIds);
  }
}
