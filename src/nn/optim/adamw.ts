/** AdamW (Loshchilov and Hutter): Adam with bias correction and decoupled weight decay, on the backend kernel. */
import type { NamedParameters, OptimizerOptions, ParamGroup, UpdateTarget } from './optimizer.js';
import { Optimizer } from './optimizer.js';

export interface AdamWOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: NamedParameters | readonly ParamGroup[], options: AdamWOptions) {
    super(params, options);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
  }

  protected bufferNames(): readonly string[] {
    return ['m', 'v'];
  }

  protected update({ param, grad, buffers, lr, weightDecay, step }: UpdateTarget): void {
    param.backend.adamw(param.storage, grad.storage, buffers.get('m')!.storage, buffers.get('v')!.storage, param.size, {
      lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay, step,
    });
  }
}
