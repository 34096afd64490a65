/** SGD with (heavy-ball) momentum and L2 weight decay: buf = momentum * buf + grad + wd * p;  p -= lr * buf. */
import type { NamedParameters, OptimizerOptions, ParamGroup, UpdateTarget } from './optimizer.js';
import { Optimizer } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  readonly momentum?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;

  constructor(params: NamedParameters | readonly ParamGroup[], options: SgdOptions) {
    super(params, options);
    this.momentum = options.momentum ?? 0;
  }

  protected bufferNames(): readonly string[] {
    return ['momentum'];
  }

  protected update({ param, grad, buffers, lr, weightDecay }: UpdateTarget): void {
    const be = param.backend;
    const buf = buffers.get('momentum')!.storage;
    be.axpby(1, grad.storage, this.momentum, buf, param.size);
    if (weightDecay !== 0) be.axpby(weightDecay, param.storage, 1, buf, param.size);
    be.axpby(-lr, buf, 1, param.storage, param.size);
  }
}
