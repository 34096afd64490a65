/** Inverted dropout: x (...) -> same shape; each element is zeroed with probability p and the survivors are scaled
 * by 1 / (1 - p), so evaluation (training = false) is the identity. The mask comes from the caller's seeded Rng.
 * Inside `withoutDropout` (generation) it is the identity whatever `training` says. */
import { record } from '../autograd.js';
import { ScopedValue } from '../../util/scoped-value.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { empty, tensor } from '../tensor.js';
import { addInto } from './common.js';
import { reshape } from './layout.js';

export interface DropoutOptions {
  readonly p: number;
  readonly rng: Rng;
  readonly training: boolean;
}

const enabled = new ScopedValue(true);

/**
 * Runs fn with every dropout the identity: a model that generates is not training, whatever mode its modules are
 * in, and switching a whole module tree to eval mode at every decode step would cost more than the step's kernels.
 */
export function withoutDropout<T>(fn: () => T): T {
  return enabled.run(false, fn);
}

export function dropout(x: Tensor, { p, rng, training }: DropoutOptions): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || !enabled.value || p === 0) return reshape(x, x.shape);
  const keepScale = 1 / (1 - p);
  const maskValues = new Float32Array(x.size);
  for (let i = 0; i < maskValues.length; i++) maskValues[i] = rng.uniform() < p ? 0 : keepScale;
  const mask = tensor(maskValues, x.shape);
  const out = empty(x.shape);
  out.backend.binary('mul', x.storage, mask.storage, out.storage, x.size, x.size);
  record(out, 'dropout', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX === null) return;
    const masked = empty(x.shape);
    dy.backend.binary('mul', dy.storage, mask.storage, masked.storage, x.size, x.size);
    addInto(dX, masked);
  }, [mask]);
  return out;
}
