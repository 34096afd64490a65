/**
 * The matmul precision in force, as a scope (in the manner of PyTorch's `torch.autocast`): inside
 * `withMatmulPrecision('bf16', fn)` the matmul and fused LM-head ops round their operands to bfloat16 and sum the
 * products in fp32 (backend.ts MatmulParams.precision), while tensors, parameters, gradients and every other op stay
 * fp32. Each op reads the precision when it runs forward and its backward GEMMs use the same one, so a backward
 * outside the scope still matches its forward. Mixed-precision training (the trainer's `precision`) is this scope
 * around the forward and backward of each step.
 */
import type { MatmulPrecision } from './backend.js';

export const MATMUL_PRECISIONS: readonly MatmulPrecision[] = ['fp32', 'bf16'];

let current: MatmulPrecision = 'fp32';

/** The precision matmuls run at now ('fp32' outside any scope). */
export function matmulPrecision(): MatmulPrecision {
  return current;
}

export function isMatmulPrecision(value: unknown): value is MatmulPrecision {
  return MATMUL_PRECISIONS.includes(value as MatmulPrecision);
}

/**
 * Runs fn with matmuls at `precision`, then restores the previous precision (scopes nest). Like `tidy`, a scope
 * must not span an await: other work interleaved on the event loop would run at its precision.
 */
export function withMatmulPrecision<T>(precision: MatmulPrecision, fn: () => T): T {
  if (!isMatmulPrecision(precision)) throw new Error(`withMatmulPrecision: precision must be one of ${MATMUL_PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`);
  const previous = current;
  current = precision;
  let result: T;
  try {
    result = fn();
  } finally {
    current = previous;
  }
  if (result instanceof Promise) throw new Error('withMatmulPrecision: fn returned a Promise; a precision scope cannot span an await');
  return result;
}
