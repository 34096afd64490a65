/**
 * An exponential moving average of parameters (Polyak averaging). A small model trained from scratch on noisy
 * labels fits its training set in a few epochs and then wanders around a minimum; the average of the last
 * ~1 / (1 - decay) steps sits nearer its centre than any single step and generalises better (on MetaTool retrieval:
 * +0.5 to +1.7 points of top-1 at decay 0.999). The average lives beside the parameters on their backend; the
 * trainer swaps it in for validation and for the final model.
 */
import type { WeightTensor } from '../../formats/types.js';
import type { Parameter } from '../parameter.js';
import type { Storage } from '../../tensor/backend.js';

export class ParameterAverage {
  private readonly averages: Storage[];

  constructor(
    private readonly params: readonly (readonly [string, Parameter])[],
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`ParameterAverage: decay must be in (0, 1), got ${decay}`);
    this.averages = params.map(([, p]) => {
      const s = p.backend.alloc(p.size);
      p.backend.copy(p.storage, 0, s, 0, p.size);
      return s;
    });
  }

  /**
   * Folds the parameters after optimizer step `step` (1-based) into the average. Early steps use a smaller decay,
   * (1 + step) / (10 + step), so that the random initialisation does not linger in the average of a short run.
   */
  update(step: number): void {
    const d = Math.min(this.decay, (1 + step) / (10 + step));
    this.params.forEach(([, p], i) => p.backend.axpby(1 - d, p.storage, d, this.averages[i]!, p.size));
  }

  /** Runs fn with the averaged weights in the parameters, then puts the trained weights back. */
  withAveraged<T>(fn: () => T): T {
    const trained = this.params.map(([, p]) => {
      const s = p.backend.alloc(p.size);
      p.backend.copy(p.storage, 0, s, 0, p.size);
      return s;
    });
    this.copyToParameters();
    try {
      return fn();
    } finally {
      this.params.forEach(([, p], i) => p.backend.copy(trained[i]!, 0, p.storage, 0, p.size));
    }
  }

  /** Overwrites the parameters with the average (the end of training). */
  copyToParameters(): void {
    this.params.forEach(([, p], i) => p.backend.copy(this.averages[i]!, 0, p.storage, 0, p.size));
  }

  /** The averages by parameter name, for checkpoints. */
  tensors(): WeightTensor[] {
    return this.params.map(([name, p], i) => ({ name, shape: [...p.shape], data: new Float32Array(p.backend.download(this.averages[i]!).subarray(0, p.size)) }));
  }

  /** Restores averages saved by `tensors()`; `read` gives a tensor by name (undefined when absent). */
  load(source: string, read: (name: string) => Float32Array | undefined): void {
    this.params.forEach(([name, p], i) => {
      const data = read(name);
      if (data === undefined) throw new Error(`${source}: no averaged weights for parameter ${name}`);
      if (data.length !== p.size) throw new Error(`${source}: averaged ${name} has ${data.length} values, the parameter has ${p.size}`);
      p.backend.copy(p.backend.upload(data), 0, this.averages[i]!, 0, p.size);
    });
  }
}
